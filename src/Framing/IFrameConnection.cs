using System.Buffers;
using System.Net;

namespace SecretChat.Framing;

/// <summary>
/// A duplex connection that carries whole frames: length-prefixed frames over a byte stream (TCP,
/// in-memory pipes) or any other transport that preserves message boundaries.
/// </summary>
/// <remarks>
/// <see cref="Frames"/> may be subscribed once. Each payload it produces is valid only during that
/// <c>OnNext</c> call (the reader advances when <c>OnNext</c> returns): a consumer that keeps data copies it.
/// The sequence completes when the peer closes cleanly at a frame boundary and fails otherwise with
/// a <see cref="MalformedFrameException"/> (malformed or oversize frame) or another
/// <see cref="IOException"/> (closed mid-frame, reset, aborted).
/// </remarks>
public interface IFrameConnection : IAsyncDisposable
{
    /// <summary>Inbound frame payloads; see the remarks on <see cref="IFrameConnection"/>.</summary>
    IObservable<ReadOnlySequence<byte>> Frames { get; }

    /// <summary>
    /// Writes one frame. Safe to call from several threads: writes never interleave, and frames go
    /// out in the order the calls were made (the handshake relies on it).
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>Flushes what was sent and closes the sending direction (the peer sees a clean end).</summary>
    ValueTask CompleteAsync();

    /// <summary>Closes both directions at once; pending and later sends fail.</summary>
    void Abort(Exception? reason = null);

    /// <summary>The peer's address, where the transport has one.</summary>
    EndPoint? RemoteEndPoint { get; }
}
