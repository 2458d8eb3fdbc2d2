namespace SecretChat.Transport;

/// <summary>This side closed the connection (<see cref="Framing.IFrameConnection.Abort"/> or disposal) while it was in use.</summary>
public sealed class ConnectionAbortedException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>, one sentence saying why this side closed.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    public ConnectionAbortedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that made this side close.</summary>
    /// <param name="message">One sentence saying what happened.</param>
    /// <param name="innerException">The error that made this side close, or <see langword="null"/>.</param>
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
