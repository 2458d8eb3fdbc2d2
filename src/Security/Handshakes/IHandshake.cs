using System.Buffers;

namespace SecretChat.Security;

/// <summary>What a handshake needs next.</summary>
public enum HandshakeStatus
{
    /// <summary>This side writes the next handshake message (<see cref="IHandshake.WriteMessage(ReadOnlySpan{byte}, IBufferWriter{byte})"/>).</summary>
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

    /// <summary>
    /// True when the message this side writes next is its last one in the handshake (the one that carries its
    /// greeting in protocol 2). Meaningful only when <see cref="Status"/> is <see cref="HandshakeStatus.MustWrite"/>.
    /// </summary>
    bool IsFinalWrite { get; }

    /// <summary>
    /// Writes this side's next message carrying <paramref name="payload"/> (encrypted when the mode has a key at
    /// that point; at most <see cref="HandshakePayload.MaxSize"/> bytes). Valid only when <see cref="Status"/> is
    /// <see cref="HandshakeStatus.MustWrite"/>.
    /// </summary>
    void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output);

    /// <summary>Writes this side's next message with an empty payload.</summary>
    void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    /// <summary>
    /// Consumes the peer's next message and returns the payload it carried (empty when none). Valid only when
    /// <see cref="Status"/> is <see cref="HandshakeStatus.MustRead"/>.
    /// Throws <see cref="HandshakeException"/> with a sentence a user understands when the message is
    /// malformed, fails authentication or does not match this side's expectations; the handshake is dead then.
    /// </summary>
    byte[] ReadMessage(ReadOnlySpan<byte> message);

    /// <summary>
    /// Hands over the transport state once the handshake is complete (once only, like Noise's Split).
    /// The caller owns and disposes the returned session.
    /// </summary>
    SecureSession Split();
}
