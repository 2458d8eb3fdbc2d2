namespace SecretChat.Framing;

/// <summary>
/// The peer announced a frame longer than this side accepts. Raised from the length header alone,
/// before any of the payload is buffered, so a hostile length cannot make us allocate.
/// </summary>
public sealed class FrameTooLargeException : MalformedFrameException
{
    /// <summary>Creates the exception for a header that announced <paramref name="declaredLength"/> bytes when at most <paramref name="limit"/> are accepted.</summary>
    /// <param name="declaredLength">The payload length the header announced, in bytes.</param>
    /// <param name="limit">The largest payload this side accepts, in bytes.</param>
    public FrameTooLargeException(long declaredLength, int limit)
        : base($"the peer announced a frame of {declaredLength} bytes; the limit is {limit}")
    {
        DeclaredLength = declaredLength;
        Limit = limit;
    }

    /// <summary>The payload length the header announced.</summary>
    public long DeclaredLength { get; }

    /// <summary>The largest payload this side accepts.</summary>
    public int Limit { get; }
}
