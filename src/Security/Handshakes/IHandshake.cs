using System.Buffers;

namespace SecretChat.Security;

/// <summary>What a handshake needs next.</summary>
public enum HandshakeStatus
{
    /// <summary>This side writes the next handshake message (<see cref="IHandshake.WriteMessage"/>).</summary>
    MustWrite,

    /// <summary>This side waits for the peer's next handshake message (<see cref="IHandshake.ReadMessage"/>).</summary>
    MustRead,

    /// <summary>The handshake is done: <see cref="IHandshake.Split"/> hands over the session.</summary>
    Complete,
}

/// <summary>
/// One side of a handshake: a synchronous state machine over whole messages, with no I/O and no clock.
/// The driver (the <c>Handshake</c> Rx operator) moves the messages and enforces the timeout.
/// </summary>
public interface IHandshake : IDisposable
{
    /// <summary>Whether this side sends the first message or answers it.</summary>
    HandshakeRole Role { get; }

    /// <summary>What this side does next: write, read, or hand over the session.</summary>
    HandshakeStatus Status { get; }

    /// <summary>Writes this side's next message. Valid only when <see cref="Status"/> is <see cref="HandshakeStatus.MustWrite"/>.</summary>
    void WriteMessage(IBufferWriter<byte> output);

    /// <summary>
    /// Consumes the peer's next message. Valid only when <see cref="Status"/> is <see cref="HandshakeStatus.MustRead"/>.
    /// Throws <see cref="HandshakeException"/> with a sentence a user understands when the message is
    /// malformed, fails authentication or does not match this side's expectations; the handshake is dead then.
    /// </summary>
    void ReadMessage(ReadOnlySpan<byte> message);

    /// <summary>
    /// Hands over the transport state once the handshake is complete (once only, like Noise's Split).
    /// The caller owns and disposes the returned session.
    /// </summary>
    SecureSession Split();
}
