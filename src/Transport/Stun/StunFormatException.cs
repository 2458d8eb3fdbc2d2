using SecretChat.Framing;

namespace SecretChat.Transport.Stun;

/// <summary>A datagram that claims to be STUN (or is handed to the STUN parser) but breaks RFC 8489's message format.</summary>
/// <remarks>Derives from <see cref="MalformedFrameException"/> (InvalidDataException is sealed) so one catch covers every malformed input.</remarks>
public sealed class StunFormatException : MalformedFrameException
{
    public StunFormatException(string message)
        : base(message)
    {
    }

    public StunFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
