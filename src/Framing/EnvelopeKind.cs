namespace SecretChat.Framing;

/// <summary>What a message envelope carries. Values are wire bytes: never renumber them.</summary>
/// <remarks>
/// Kinds this version does not know still decode (as an undefined value of this enum), so that a
/// newer peer can add kinds and an older one simply ignores them.
/// </remarks>
public enum EnvelopeKind : byte
{
    /// <summary>
    /// Reserved: protocol 1's first message (the display name). Protocol 2 carries the name inside the handshake, so a
    /// sender MUST NOT send it and a receiver ignores it like any kind it does not know.
    /// </summary>
    Hello = 1,

    /// <summary>A chat message. Body: the text, UTF-8.</summary>
    Text = 2,

    /// <summary>Acknowledges the message whose id is <see cref="EnvelopeHeader.Id"/>. Body: empty.</summary>
    Ack = 3,

    /// <summary>The sender has nothing more to send. Body: an optional reason, UTF-8.</summary>
    Finished = 4,

    /// <summary>The sender is closing the session. Body: a <see cref="CloseBody"/> (reason code, optional UTF-8 text); id 0.</summary>
    Close = 5,

    /// <summary>
    /// One step of a code pairing (J-PAKE and its confirmation), sent after the handshake and before any other envelope
    /// by both sides of a session started with a code. Body: binary, not UTF-8 (see PROTOCOL.md, "Pairing with a code");
    /// id 0. A side that was given no code ends the session when it receives one.
    /// </summary>
    Pairing = 6,
}
