namespace SecretChat.Transport;

/// <summary>The peer (or something between us) tore the connection down without closing it.</summary>
public sealed class ConnectionResetException : IOException
{
    public ConnectionResetException(string message)
        : base(message)
    {
    }

    public ConnectionResetException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ConnectionResetException ByPeer(Exception? innerException = null) =>
        new("the peer reset the connection", innerException);

    internal static ConnectionResetException PeerAborted() =>
        new("the peer aborted the connection");
}
