namespace SecretChat.Transport;

/// <summary>This side closed the connection (<see cref="Framing.IFrameConnection.Abort"/> or disposal) while it was in use.</summary>
public sealed class ConnectionAbortedException : IOException
{
    public ConnectionAbortedException(string message)
        : base(message)
    {
    }

    public ConnectionAbortedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ConnectionAbortedException Aborted(Exception? reason) => reason is null
        ? new("the connection was aborted")
        : new($"the connection was aborted: {reason.Message}", reason);

    internal static ConnectionAbortedException Disposed() =>
        new("the connection was closed locally");
}
