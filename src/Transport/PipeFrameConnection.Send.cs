using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using SecretChat.Framing;

namespace SecretChat.Transport;

public partial class PipeFrameConnection
{
    // One writer at a time: a PipeWriter is not thread-safe, and frames must never interleave.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _outputCompleted;

    /// <summary>Writes one frame and flushes it.</summary>
    /// <remarks>
    /// Completes when the transport has taken the frame (for TCP: handed to the operating system), which
    /// also pushes back on a sender whose peer does not keep up. Cancelling while waiting for that does not
    /// take the frame back: once writing started, the frame is sent whole.
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

        return SendCoreAsync(payload, cancellationToken);
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
            // Every send already flushed; completing lets the transport send its end-of-stream (TCP: FIN).
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // Pooled: a TCP send always completes asynchronously, and a boxed state machine per frame is avoidable garbage.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCoreAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ThrowIfClosedForSending();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosedForSending();
            var output = _transport.Output;
            FlushResult flushed;
            try
            {
                LengthPrefixedFrameCodec.Encode(payload.Span, output, _maxPayloadSize);
                flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception) when (Volatile.Read(ref _closeError) is not null)
            {
                // Whatever closing the transport made the pipe throw, the cause worth reporting is the close.
                throw CopyCloseError();
            }
            catch (Exception error) when (TransportErrors.IsOwn(error))
            {
                throw;
            }
            catch (Exception error) when (TransportErrors.IsReset(error))
            {
                throw ConnectionResetException.ByPeer(error);
            }
            catch (InvalidOperationException error)
            {
                // The transport completed the pipe under us: its sending side has failed or closed.
                throw ConnectionClosedException.PeerStoppedReceiving(error);
            }
            catch (Exception error)
            {
                throw TransportErrors.Unexpected(error);
            }

            if (flushed.IsCanceled)
                ThrowIfClosedForSending();
            if (flushed.IsCompleted)
                throw ConnectionClosedException.PeerStoppedReceiving();
        }
        finally
        {
            _writeLock.Release();
            CompleteOutputIfClosed();
        }
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
