namespace SecretChat.Security.Datagrams;

/// <summary>
/// The handshake completed, but <see cref="DatagramChannelOptions.AdmitPeer"/> refused the peer it authenticated
/// (e.g. a pinned name with another key): the session was never used. The message is the check's sentence.
/// </summary>
public sealed class PeerRefusedException : HandshakeException
{
    /// <summary>Creates the exception with <paramref name="message"/>, the check's sentence for the user.</summary>
    /// <param name="message">Why the peer was refused, in one sentence meant for the user.</param>
    public PeerRefusedException(string message) : base(message) { }
}
