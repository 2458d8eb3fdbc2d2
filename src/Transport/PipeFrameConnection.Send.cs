using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using SecretChat.Framing;

namespace SecretChat.Transport;

public partial class PipeFrameConnection
{
    private static readonly SpanAction<byte, ReadOnlyMemory<byte>> CopyPayload = static (destination, payload) => payload.Span.CopyTo(destination);

    // One writer at a time: a PipeWriter is not thread-safe, and frames must never interleave.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _outputCompleted;

    /// <summary>Writes one frame and flushes it.</summary>
    /// <remarks>
    /// <para>Completes as soon as the frame is in the transport's buffer, usually without waiting: the caller's
    /// thread never waits for the socket. Frames whose send completed are delivered before the end-of-stream of
    /// <see cref="CompleteAsync"/> and before <see cref="DisposeAsync"/> closes the transport; only
    /// <see cref="Abort"/> (and a failed transport) drops them.</para>
    /// <para>Back-pressure: when the transport's buffer holds more than its pause threshold because the peer
    /// does not keep up (TCP: 1 MiB not yet taken by the socket), sends wait until it drains below half of that.
    /// Cancelling while waiting does not take the frame back: once writing started, the frame is sent whole.</para>
    /// <para>A failure of the transport (a reset peer) surfaces on a later send, not necessarily on the send of
    /// the frame that could not be delivered.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">The payload is longer than <see cref="MaxPayloadSize"/>.</exception>
    /// <exception cref="InvalidOperationException">The sending direction was already completed.</exception>
    /// <exception cref="ConnectionAbortedException">The connection was aborted.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    /// <exception cref="IOException">The peer reset the connection or stopped receiving.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        // Checked eagerly, so the mistake surfaces at the call, not at some later await.
        if (payload.Length > _maxPayloadSize)
            throw new ArgumentException(
                $"The payload is {payload.Length} bytes; this connection sends at most {_maxPayloadSize}.", nameof(payload));

        return SendFrameAsync(payload.Length, payload, CopyPayload, cancellationToken);
    }

    /// <summary>
    /// Writes one frame whose payload <paramref name="writePayload"/> produces straight into the transport's
    /// buffer, and flushes it; completes as <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> does.
    /// </summary>
    /// <remarks>
    /// <paramref name="writePayload"/> runs under the connection's write lock, so payloads are produced in wire
    /// order (a sealing layer's nonce order is the order of the frames on the wire). It runs on the calling
    /// thread when no other send is in progress, and otherwise when the previous send releases the lock.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="payloadLength"/> is more than <see cref="MaxPayloadSize"/>.</exception>
    public ValueTask SendAsync<TState>(
        int payloadLength,
        TState state,
        SpanAction<byte, TState> writePayload,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentNullException.ThrowIfNull(writePayload);
        if (payloadLength > _maxPayloadSize)
            throw new ArgumentException(
                $"The payload is {payloadLength} bytes; this connection sends at most {_maxPayloadSize}.", nameof(payloadLength));

        return SendFrameAsync(payloadLength, state, writePayload, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync()
    {
        ThrowIfDisposed();
        return CompleteOutputAsync();
    }

    private async ValueTask CompleteOutputAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_outputCompleted)
                return;
            if (_closeError is not null)
                throw CopyCloseError();

            _outputCompleted = true;
            // The transport sends what is buffered, then its end-of-stream (TCP: FIN).
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
            OnOutputCompleted();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The fast path: with the lock free and the pipe below its pause threshold, a send completes on the
    /// caller's thread without an async state machine.
    /// </summary>
    private ValueTask SendFrameAsync<TState>(
        int payloadLength, TState state, SpanAction<byte, TState> writePayload, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        if (!_writeLock.Wait(0))
            return SendAfterWaitingAsync(payloadLength, state, writePayload, cancellationToken);

        ValueTask<FlushResult> flushing;
        try
        {
            flushing = WriteAndFlush(payloadLength, state, writePayload, cancellationToken);
        }
        catch (Exception error)
        {
            ReleaseWriteLock();
            return ValueTask.FromException(error);
        }

        if (!flushing.IsCompleted)
            return AwaitFlushAsync(flushing, cancellationToken);

        try
        {
            CheckFlushed(GetFlushResult(flushing, cancellationToken));
            return default;
        }
        catch (Exception error)
        {
            return ValueTask.FromException(error);
        }
        finally
        {
            ReleaseWriteLock();
        }
    }

    // Pooled: the slow paths (a contended lock, a full pipe) would otherwise box a state machine per frame.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAfterWaitingAsync<TState>(
        int payloadLength, TState state, SpanAction<byte, TState> writePayload, CancellationToken cancellationToken)
    {
        ThrowIfClosedForSending();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var flushing = WriteAndFlush(payloadLength, state, writePayload, cancellationToken);
            CheckFlushed(await AwaitFlushResultAsync(flushing, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            ReleaseWriteLock();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flushing, CancellationToken cancellationToken)
    {
        try
        {
            CheckFlushed(await AwaitFlushResultAsync(flushing, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            ReleaseWriteLock();
        }
    }

    /// <summary>Under the write lock: writes the frame (header, then the payload in place) and starts the flush.</summary>
    private ValueTask<FlushResult> WriteAndFlush<TState>(
        int payloadLength, TState state, SpanAction<byte, TState> writePayload, CancellationToken cancellationToken)
    {
        ThrowIfClosedForSending();
        var output = _transport.Output;
        var frameLength = LengthPrefixedFrameCodec.HeaderSize + payloadLength;
        Span<byte> frame;
        try
        {
            frame = output.GetSpan(frameLength);
        }
        catch (Exception error)
        {
            throw TranslateSendError(error, cancellationToken);
        }

        // The payload first: if producing it throws, nothing has been committed to the pipe.
        writePayload(frame.Slice(LengthPrefixedFrameCodec.HeaderSize, payloadLength), state);
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payloadLength);
        try
        {
            output.Advance(frameLength);
            return output.FlushAsync(cancellationToken);
        }
        catch (Exception error)
        {
            throw TranslateSendError(error, cancellationToken);
        }
    }

    private async ValueTask<FlushResult> AwaitFlushResultAsync(ValueTask<FlushResult> flushing, CancellationToken cancellationToken)
    {
        try
        {
            return await flushing.ConfigureAwait(false);
        }
        catch (Exception error)
        {
            throw TranslateSendError(error, cancellationToken);
        }
    }

    private FlushResult GetFlushResult(ValueTask<FlushResult> completedFlush, CancellationToken cancellationToken)
    {
        try
        {
            return completedFlush.Result;
        }
        catch (Exception error)
        {
            throw TranslateSendError(error, cancellationToken);
        }
    }

    private void CheckFlushed(FlushResult flushed)
    {
        if (flushed.IsCanceled)
            ThrowIfClosedForSending();
        if (flushed.IsCompleted)
            throw ConnectionClosedException.PeerStoppedReceiving();
    }

    /// <summary>What a send throws for an exception from the pipe or the transport under it.</summary>
    private Exception TranslateSendError(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => error,
        // Whatever closing the transport made the pipe throw, the cause worth reporting is the close.
        _ when Volatile.Read(ref _closeError) is not null => CopyCloseError(),
        _ when TransportErrors.IsOwn(error) => error,
        _ when TransportErrors.IsReset(error) => ConnectionResetException.ByPeer(error),
        // The transport completed the pipe under us: its sending side has failed or closed.
        InvalidOperationException => ConnectionClosedException.PeerStoppedReceiving(error),
        _ => TransportErrors.Unexpected(error),
    };

    private void ReleaseWriteLock()
    {
        _writeLock.Release();
        CompleteOutputIfClosed();
    }

    /// <summary>After a close, completes the output, from whichever thread can take the write lock.</summary>
    /// <remarks>
    /// Close cannot complete the writer while a send holds it, so Close and every sender call this after
    /// releasing the lock; the last one out completes it.
    /// </remarks>
    private void CompleteOutputIfClosed()
    {
        if (Volatile.Read(ref _closeError) is null || !_writeLock.Wait(0))
            return;

        try
        {
            if (!_outputCompleted)
            {
                _outputCompleted = true;
                // A transport that forwards this (in-memory pipes) shows the peer a reset, not a clean end.
                _transport.Output.Complete(ConnectionResetException.PeerAborted());
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void ThrowIfClosedForSending()
    {
        ThrowIfDisposed();
        if (Volatile.Read(ref _closeError) is not null)
            throw CopyCloseError();
        if (_outputCompleted)
            throw new InvalidOperationException("The sending direction of this connection was already completed.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
