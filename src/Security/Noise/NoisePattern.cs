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
    /// <summary>A pattern; the product uses only <see cref="XX"/> (the vector tests build others).</summary>
    internal NoisePattern(string name, NoiseToken[] initiatorPreMessage, NoiseToken[] responderPreMessage, NoiseToken[][] messages)
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
}
