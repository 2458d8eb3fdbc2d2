using SecretChat.Framing;

namespace SecretChat.Signaling;

/// <summary>A datagram in the signaling range that does not follow the signaling packet layout.</summary>
/// <remarks>Derives from <see cref="MalformedFrameException"/> as <see cref="InvalidDataException"/> is sealed.</remarks>
public sealed class SignalingFormatException : MalformedFrameException
{
    /// <summary>Creates the exception with <paramref name="message"/>, saying which rule of the layout the datagram breaks.</summary>
    /// <param name="message">Which rule of the layout the datagram breaks, in one sentence.</param>
    public SignalingFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that revealed the malformed datagram.</summary>
    /// <param name="message">Which rule of the layout the datagram breaks, in one sentence.</param>
    /// <param name="innerException">The error that revealed it.</param>
    public SignalingFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
