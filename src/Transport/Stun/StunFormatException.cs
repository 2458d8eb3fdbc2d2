using SecretChat.Framing;

namespace SecretChat.Transport.Stun;

/// <summary>A datagram that claims to be STUN (or is handed to the STUN parser) but breaks RFC 8489's message format.</summary>
/// <remarks>Derives from <see cref="MalformedFrameException"/> (InvalidDataException is sealed) so one catch covers every malformed input.</remarks>
public sealed class StunFormatException : MalformedFrameException
{
    /// <summary>Creates the exception with <paramref name="message"/>, saying which rule of the format the datagram breaks.</summary>
    /// <param name="message">Which rule of the format the datagram breaks, in one sentence.</param>
    public StunFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that revealed the malformed datagram.</summary>
    /// <param name="message">Which rule of the format the datagram breaks, in one sentence.</param>
    /// <param name="innerException">The error that revealed it.</param>
    public StunFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
