namespace SecretChat.Framing;

/// <summary>The peer sent bytes that do not follow the framing protocol.</summary>
/// <remarks>
/// <see cref="InvalidDataException"/> would be the natural base, but it is sealed; a malformed
/// stream ends the connection, so these derive from <see cref="IOException"/> and are caught
/// wherever connection failures are.
/// </remarks>
public class MalformedFrameException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>: what was wrong with the bytes, in one sentence.</summary>
    /// <param name="message">What was wrong with the bytes, in one sentence.</param>
    public MalformedFrameException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that revealed the malformed bytes.</summary>
    /// <param name="message">What was wrong with the bytes, in one sentence.</param>
    /// <param name="innerException">The error that revealed it (a decoder's exception), or <see langword="null"/>.</param>
    public MalformedFrameException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
