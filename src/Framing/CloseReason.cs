namespace SecretChat.Framing;

/// <summary>Why a side closes a session: the first byte of a <see cref="EnvelopeKind.Close"/> body. Values are wire bytes.</summary>
/// <remarks>A receiver MUST accept codes it does not know and treat them as an unclean end (<see cref="CloseBody.IsClean"/>).</remarks>
public enum CloseReason : byte
{
    /// <summary>The user ended the session; nothing went wrong (the only clean reason).</summary>
    Orderly = 0,

    /// <summary>The user declined the peer (a prompt answered "no").</summary>
    RefusedByUser = 1,

    /// <summary>The peer's identity is not trusted: its key is unknown where one is required, or changed.</summary>
    NotTrusted = 2,

    /// <summary>The peer broke the protocol: a malformed or unauthenticated message, a message out of turn.</summary>
    ProtocolError = 3,

    /// <summary>The peer did not answer in time.</summary>
    Timeout = 4,

    /// <summary>This side is shutting down (the application exits).</summary>
    GoingAway = 5,

    /// <summary>
    /// The peer's key is not the one pinned for its name here (it changed, or the name looks like a contact's): its user
    /// must compare safety numbers with this side's user, who then accepts the new key (<c>/trust</c>).
    /// </summary>
    KeyChanged = 6,
}
