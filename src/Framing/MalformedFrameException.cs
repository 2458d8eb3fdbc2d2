namespace SecretChat.Framing;

/// <summary>The peer sent bytes that do not follow the framing protocol.</summary>
/// <remarks>
/// <see cref="InvalidDataException"/> would be the natural base, but it is sealed; a malformed
/// stream ends the connection, so these derive from <see cref="IOException"/> and are caught
/// wherever connection failures are.
/// </remarks>
public class MalformedFrameException : IOException
{
    public MalformedFrameException(string message)
        : base(message)
    {
    }

    public MalformedFrameException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
