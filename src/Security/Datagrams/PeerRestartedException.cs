namespace SecretChat.Security.Datagrams;

/// <summary>
/// The peer restarted: a second handshake from its address authenticated the same peer (the same static key, in modes
/// that have one), so that new session replaced this one (<see cref="SecureDatagramChannel.TakeSuccessor"/>).
/// Messages in flight on the old session may have been lost.
/// </summary>
public sealed class PeerRestartedException : IOException
{
    /// <summary>Creates the exception with its one sentence for the user.</summary>
    public PeerRestartedException()
        : base("The peer restarted the session (it began a new handshake); messages in flight may have been lost.")
    {
    }
}
