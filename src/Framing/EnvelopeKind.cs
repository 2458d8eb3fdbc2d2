namespace SecretChat.Framing;

/// <summary>What a message envelope carries. Values are wire bytes: never renumber them.</summary>
/// <remarks>
/// Kinds this version does not know still decode (as an undefined value of this enum), so that a
/// newer peer can add kinds and an older one simply ignores them.
/// </remarks>
public enum EnvelopeKind : byte
{
    /// <summary>
    /// The sender has checked the peer (its name travels inside the handshake) and accepted it; body empty. A side whose
    /// peer announced the <c>hello-when-accepted</c> capability is connected only once this arrives (protocol 1 used the
    /// kind for its name message; a receiver whose peer did not announce the capability ignores it).
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

    /// <summary>
    /// The sender's user is deciding whether to accept the peer's changed key; the peer waits for the Hello or the Close
    /// (bounded by its own timeout). Body: the reason, one byte (<see cref="CloseReason.KeyChanged"/>); id 0. Sent only
    /// before the sender's Hello; an older peer ignores it as an unknown kind.
    /// </summary>
    Deciding = 7,
}
