namespace SecretChat.Framing;

/// <summary>What a message envelope carries. Values are wire bytes: never renumber them.</summary>
/// <remarks>
/// Kinds this version does not know still decode (as an undefined value of this enum), so that a
/// newer peer can add kinds and an older one simply ignores them.
/// </remarks>
public enum EnvelopeKind : byte
{
    /// <summary>First message of a session. Body: the sender's display name, UTF-8.</summary>
    Hello = 1,

    /// <summary>A chat message. Body: the text, UTF-8.</summary>
    Text = 2,

    /// <summary>Acknowledges the message whose id is <see cref="EnvelopeHeader.Id"/>. Body: empty.</summary>
    Ack = 3,

    /// <summary>The sender has nothing more to send. Body: an optional reason, UTF-8.</summary>
    Finished = 4,

    /// <summary>The sender is closing the session. Body: an optional reason, UTF-8.</summary>
    Close = 5,
}
