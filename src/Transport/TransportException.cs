namespace SecretChat.Transport;

/// <summary>A connection could not be set up: one sentence saying what and where, fit to show a user.</summary>
public sealed class TransportException : IOException
{
    public TransportException(string message)
        : base(message)
    {
    }

    public TransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
