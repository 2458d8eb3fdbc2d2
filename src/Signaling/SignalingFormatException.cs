using SecretChat.Framing;

namespace SecretChat.Signaling;

/// <summary>A datagram in the signaling range that does not follow the signaling packet layout.</summary>
/// <remarks>Derives from <see cref="MalformedFrameException"/> as <see cref="InvalidDataException"/> is sealed.</remarks>
public sealed class SignalingFormatException : MalformedFrameException
{
    public SignalingFormatException(string message)
        : base(message)
    {
    }

    public SignalingFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
