namespace SecretChat.Security;

/// <summary>A handshake failed. The message is one clear sentence meant for the user.</summary>
public class HandshakeException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>, one sentence meant for the user.</summary>
    /// <param name="message">Why the handshake failed, in one sentence meant for the user.</param>
    public HandshakeException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and the error behind it.</summary>
    /// <param name="message">Why the handshake failed, in one sentence meant for the user.</param>
    /// <param name="innerException">The error behind it (a cryptographic or decoding error).</param>
    public HandshakeException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The peer did not answer the handshake in time (as opposed to refusing it or failing it).</summary>
public sealed class HandshakeTimeoutException : HandshakeException
{
    /// <summary>Creates the exception with <paramref name="message"/>, saying who did not answer within how long.</summary>
    /// <param name="message">Who did not answer within how long, in one sentence meant for the user.</param>
    public HandshakeTimeoutException(string message) : base(message) { }
}
