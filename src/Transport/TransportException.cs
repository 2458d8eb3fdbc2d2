namespace SecretChat.Transport;

/// <summary>A connection could not be set up: one sentence saying what and where, fit to show a user.</summary>
public sealed class TransportException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>: what could not be set up and where, in one sentence.</summary>
    /// <param name="message">What could not be set up and where, in one sentence fit to show a user.</param>
    public TransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the socket or resolver error behind it.</summary>
    /// <param name="message">What could not be set up and where, in one sentence fit to show a user.</param>
    /// <param name="innerException">The error behind it, or <see langword="null"/>.</param>
    public TransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
