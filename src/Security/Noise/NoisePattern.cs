namespace SecretChat.Security.Noise;

internal enum NoiseToken : byte
{
    E,
    S,
    EE,
    ES,
    SE,
    SS,
}

/// <summary>A handshake pattern (§7): pre-messages and message token lists, initiator's message first.</summary>
internal sealed class NoisePattern
{
    private NoisePattern(string name, NoiseToken[] initiatorPreMessage, NoiseToken[] responderPreMessage, NoiseToken[][] messages)
    {
        Name = name;
        InitiatorPreMessage = initiatorPreMessage;
        ResponderPreMessage = responderPreMessage;
        Messages = messages;
    }

    public string Name { get; }

    public IReadOnlyList<NoiseToken> InitiatorPreMessage { get; }

    public IReadOnlyList<NoiseToken> ResponderPreMessage { get; }

    public IReadOnlyList<NoiseToken[]> Messages { get; }

    /// <summary>-> e; &lt;- e, ee, s, es; -> s, se. Mutual authentication, identities hidden from passive observers.</summary>
    public static NoisePattern XX { get; } = new(
        "XX", [], [],
        [[NoiseToken.E], [NoiseToken.E, NoiseToken.EE, NoiseToken.S, NoiseToken.ES], [NoiseToken.S, NoiseToken.SE]]);

    /// <summary>-> e; &lt;- e, ee. Kept for the shared vectors: it exercises the engine without static keys.</summary>
    public static NoisePattern NN { get; } = new(
        "NN", [], [],
        [[NoiseToken.E], [NoiseToken.E, NoiseToken.EE]]);

    /// <summary>&lt;- s; ...; -> e, es, s, ss; &lt;- e, ee, se. Kept for the shared vectors (pre-message path).</summary>
    public static NoisePattern IK { get; } = new(
        "IK", [], [NoiseToken.S],
        [[NoiseToken.E, NoiseToken.ES, NoiseToken.S, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE]]);
}
