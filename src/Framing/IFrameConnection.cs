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
    /// <remarks>
    /// Completion means the frame is queued in order, not that the peer has it: every frame whose send completed
    /// goes out before the end-of-stream of <see cref="CompleteAsync"/> and before disposal closes the connection.
    /// A peer that does not keep up makes sends wait once the transport's buffer is full (back-pressure).
    /// </remarks>
    ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes one frame of <paramref name="payloadLength"/> bytes that <paramref name="writePayload"/> produces in
    /// place, so a layer that transforms its payload (sealing) can write straight into the transport's buffer.
    /// </summary>
    /// <remarks>
    /// <para><paramref name="writePayload"/> is called exactly once, unless the send fails before it, with a span of
    /// exactly <paramref name="payloadLength"/> bytes that it must fill; the span is valid only during the call. It
    /// may run after this method has returned (once earlier sends are out of the way), so
    /// <paramref name="state"/> must stay usable until the returned task completes. If it throws, nothing is sent
    /// and the exception comes out of the returned task.</para>
    /// <para>Ordering is as for <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. Implementations
    /// that write frames under a lock call <paramref name="writePayload"/> under it, so payloads are produced in wire
    /// order; this default implementation produces the payload into a rented buffer and then sends it, so a caller
    /// that needs that order from any connection keeps its own lock around the call.</para>
    /// </remarks>
    ValueTask SendAsync<TState>(
        int payloadLength,
        TState state,
        SpanAction<byte, TState> writePayload,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentNullException.ThrowIfNull(writePayload);
        return SendRentedAsync(this, payloadLength, state, writePayload, cancellationToken);

        static async ValueTask SendRentedAsync(
            IFrameConnection connection, int length, TState state, SpanAction<byte, TState> write, CancellationToken cancellationToken)
        {
            var payload = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            try
            {
                write(payload.AsSpan(0, length), state);
                await connection.SendAsync(payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(payload);
            }
        }
    }

    /// <summary>Flushes what was sent and closes the sending direction (the peer sees a clean end).</summary>
    ValueTask CompleteAsync();

    /// <summary>Closes both directions at once; pending and later sends fail.</summary>
    void Abort(Exception? reason = null);

    /// <summary>The peer's address, where the transport has one.</summary>
    EndPoint? RemoteEndPoint { get; }
}
