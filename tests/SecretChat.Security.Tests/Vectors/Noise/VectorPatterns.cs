using SecretChat.Security.Noise;

namespace SecretChat.Security.Tests.Vectors.Noise;

/// <summary>Patterns the product does not use, run through the same engine for the shared vectors' extra coverage.</summary>
internal static class VectorPatterns
{
    /// <summary>-> e; &lt;- e, ee: the engine without static keys.</summary>
    public static NoisePattern NN { get; } = new(
        "NN", [], [],
        [[NoiseToken.E], [NoiseToken.E, NoiseToken.EE]]);

    /// <summary>&lt;- s; ...; -> e, es, s, ss; &lt;- e, ee, se: the pre-message path.</summary>
    public static NoisePattern IK { get; } = new(
        "IK", [], [NoiseToken.S],
        [[NoiseToken.E, NoiseToken.ES, NoiseToken.S, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE]]);
}
