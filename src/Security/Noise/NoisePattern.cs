namespace SecretChat.Security.Noise;

/// <summary>A token of a Noise message pattern (§7.1).</summary>
public enum NoiseToken : byte
{
    /// <summary>Send (or receive) an ephemeral public key.</summary>
    E,

    /// <summary>Send (or receive) the static public key, encrypted once a key is mixed in.</summary>
    S,

    /// <summary>DH between both ephemeral keys.</summary>
    EE,

    /// <summary>DH between the initiator's ephemeral and the responder's static key.</summary>
    ES,

    /// <summary>DH between the initiator's static and the responder's ephemeral key.</summary>
    SE,

    /// <summary>DH between both static keys.</summary>
    SS,

    /// <summary>
    /// Send (or receive) an ephemeral KEM public key (Noise HFS, KEM form): encrypted once a key is mixed in, always
    /// hashed. Here the KEM is ML-KEM-768.
    /// </summary>
    E1,

    /// <summary>
    /// Encapsulate to the peer's ephemeral KEM key, send the ciphertext (EncryptAndHash) and MixKey the shared secret
    /// (Noise HFS, KEM form); the receiver decapsulates with its own.
    /// </summary>
    Ekem1,
}

/// <summary>A handshake pattern (§7): pre-messages and message token lists, initiator's message first.</summary>
public sealed class NoisePattern
{
    /// <summary>A pattern; the chat uses only <see cref="XX"/>, other modules build their own (IK, NK, ...).</summary>
    /// <param name="name">The pattern's name in the protocol name, for example <c>XX</c>.</param>
    /// <param name="initiatorPreMessage">Keys the responder knows in advance (<see cref="NoiseToken.S"/> at most).</param>
    /// <param name="responderPreMessage">Keys the initiator knows in advance.</param>
    /// <param name="messages">The message token lists, initiator's first, then alternating.</param>
    public NoisePattern(string name, NoiseToken[] initiatorPreMessage, NoiseToken[] responderPreMessage, NoiseToken[][] messages)
    {
        Name = name;
        InitiatorPreMessage = initiatorPreMessage;
        ResponderPreMessage = responderPreMessage;
        Messages = messages;
    }

    /// <summary>The pattern's name, as in the protocol name.</summary>
    public string Name { get; }

    /// <summary>The initiator's pre-message tokens.</summary>
    public IReadOnlyList<NoiseToken> InitiatorPreMessage { get; }

    /// <summary>The responder's pre-message tokens.</summary>
    public IReadOnlyList<NoiseToken> ResponderPreMessage { get; }

    /// <summary>The messages' token lists, initiator's first.</summary>
    public IReadOnlyList<NoiseToken[]> Messages { get; }

    /// <summary>True when a message carries a KEM token (<see cref="NoiseToken.E1"/>): the protocol name then names the KEM.</summary>
    public bool UsesKem => Messages.Any(tokens => tokens.Contains(NoiseToken.E1));

    /// <summary>-> e; &lt;- e, ee, s, es; -> s, se. Mutual authentication, identities hidden from passive observers.</summary>
    public static NoisePattern XX { get; } = new(
        "XX", [], [],
        [[NoiseToken.E], [NoiseToken.E, NoiseToken.EE, NoiseToken.S, NoiseToken.ES], [NoiseToken.S, NoiseToken.SE]]);

    /// <summary>
    /// XX with the KEM form of Noise's hybrid forward secrecy extension (the "hfs" modifier):
    /// -> e, e1; &lt;- e, ee, ekem1, s, es; -> s, se. The ML-KEM secret is mixed into the chaining key before the
    /// responder's static key and everything after it is encrypted.
    /// </summary>
    public static NoisePattern XXhfs { get; } = new(
        "XXhfs", [], [],
        [[NoiseToken.E, NoiseToken.E1], [NoiseToken.E, NoiseToken.EE, NoiseToken.Ekem1, NoiseToken.S, NoiseToken.ES], [NoiseToken.S, NoiseToken.SE]]);
}
