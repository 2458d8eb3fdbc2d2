namespace SecretChat.Transport;

/// <summary>The connection ended before the exchange did: the peer closed it mid-frame, or stopped receiving.</summary>
public sealed class ConnectionClosedException : IOException
{
    public ConnectionClosedException(string message)
        : base(message)
    {
    }

    public ConnectionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ConnectionClosedException MidFrame() =>
        new("the peer closed the connection in the middle of a frame");

    internal static ConnectionClosedException PeerStoppedReceiving(Exception? innerException = null) =>
        new("the peer is no longer receiving on this connection", innerException);
}
