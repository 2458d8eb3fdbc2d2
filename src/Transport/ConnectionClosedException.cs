namespace SecretChat.Transport;

/// <summary>The connection ended before the exchange did: the peer closed it mid-frame, or stopped receiving.</summary>
public sealed class ConnectionClosedException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>, one sentence saying what was cut short.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    public ConnectionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that ended the stream.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    /// <param name="innerException">The error that ended the stream, or <see langword="null"/>.</param>
    public ConnectionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ConnectionClosedException MidFrame() =>
        new("the peer closed the connection in the middle of a frame");

    internal static ConnectionClosedException PeerStoppedReceiving(Exception? innerException = null) =>
        new("the peer is no longer receiving on this connection", innerException);
}
