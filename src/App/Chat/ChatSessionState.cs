namespace SecretChat.Chat;

/// <summary>Where a <see cref="ChatSession"/> is in the chat protocol.</summary>
/// <remarks>
/// <code>
/// Handshaking --peer's hello accepted--> Connected --FinishAsync--> Finishing  --peer's Finished--+
///      |                                     |                                                      +--> BothFinished --last ack--> Closing
///      +--peer's hello refused--> Refusing   +--peer's Finished--> PeerFinished --FinishAsync--------+    (straight to Closing when nothing is unacknowledged)
/// any state --Close, failure, end of the connection, CloseAsync, DisposeAsync--> Ended
/// </code>
/// Envelopes that do not fit the state are ignored (a second hello, a second Finished, anything while
/// refusing or after the end), except a text or Finished before the peer's hello, which ends the session.
/// </remarks>
public enum ChatSessionState
{
    /// <summary>The secure handshake runs, or the peer has not introduced itself yet.</summary>
    Handshaking,

    /// <summary>The peer was refused; this side is telling it why before ending.</summary>
    Refusing,

    /// <summary>The peer introduced itself and was accepted: both sides send and receive.</summary>
    Connected,

    /// <summary>This side has finished sending; it still receives and acknowledges.</summary>
    Finishing,

    /// <summary>The peer has finished sending; this side may still send.</summary>
    PeerFinished,

    /// <summary>Both sides have finished; waiting for the peer to acknowledge what this side sent.</summary>
    BothFinished,

    /// <summary>Both have finished and everything is acknowledged: the connection is being closed.</summary>
    Closing,

    /// <summary>The session has ended (cleanly or not); nothing more happens.</summary>
    Ended,
}
