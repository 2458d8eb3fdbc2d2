namespace SecretChat.Security;

/// <summary>A handshake failed. The message is one clear sentence meant for the user.</summary>
public class HandshakeException : Exception
{
    public HandshakeException(string message) : base(message) { }

    public HandshakeException(string message, Exception innerException) : base(message, innerException) { }
}
