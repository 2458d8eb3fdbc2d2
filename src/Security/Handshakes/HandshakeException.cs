namespace SecretChat.Security;

/// <summary>A handshake failed. The message is one clear sentence meant for the user.</summary>
public class HandshakeException : Exception
{
    public HandshakeException(string message) : base(message) { }

    public HandshakeException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The peer did not answer the handshake in time (as opposed to refusing it or failing it).</summary>
public sealed class HandshakeTimeoutException : HandshakeException
{
    public HandshakeTimeoutException(string message) : base(message) { }
}
