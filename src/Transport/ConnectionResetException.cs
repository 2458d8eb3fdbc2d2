namespace SecretChat.Transport;

/// <summary>The peer (or something between us) tore the connection down without closing it.</summary>
public sealed class ConnectionResetException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>, one sentence saying who reset the connection.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    public ConnectionResetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the socket error that reported the reset.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    /// <param name="innerException">The socket error that reported it, or <see langword="null"/>.</param>
    public ConnectionResetException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ConnectionResetException ByPeer(Exception? innerException = null) =>
        new("the peer reset the connection", innerException);

    internal static ConnectionResetException PeerAborted() =>
        new("the peer aborted the connection");
}
