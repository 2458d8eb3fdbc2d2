using System.Buffers;
using System.IO.Pipelines;
using SecretChat.Framing;

namespace SecretChat.Transport;

public partial class PipeFrameConnection
{
    private const int ReaderAvailable = 0;
    private const int ReaderTaken = 1;
    private const int ReaderClosed = 2;

    // Who owns _transport.Input: nobody yet, the one read loop, or nobody ever again (closed before a subscription).
    private int _readerState;

    /// <summary>
    /// Inbound payloads, each valid only during its <c>OnNext</c>: the reader advances when <c>OnNext</c> returns,
    /// which is also the back-pressure (nothing more is read while the observer is busy).
    /// </summary>
    /// <remarks>
    /// <para>One subscription per connection; a second one fails with <see cref="InvalidOperationException"/>.
    /// Unsubscribing stops reading for good.</para>
    /// <para>Ends with <c>OnCompleted</c> when the peer closes at a frame boundary, and otherwise with
    /// <c>OnError</c>: <see cref="FrameTooLargeException"/> (oversize header),
    /// <see cref="ConnectionClosedException"/> (closed mid-frame), <see cref="ConnectionResetException"/>
    /// (reset by the peer), <see cref="ConnectionAbortedException"/> (aborted or disposed here).</para>
    /// <para>If the observer's <c>OnNext</c> throws, a frame has been lost and the connection cannot go on: it is
    /// aborted with that exception as the reason (later sends fail with a <see cref="ConnectionAbortedException"/>
    /// whose inner exception it is, and the peer sees a reset). Rx has already detached an observer that threw,
    /// so the exception is not delivered back to it, and it never reaches the thread pool.</para>
    /// </remarks>
    public IObservable<ReadOnlySequence<byte>> Frames { get; }

    private async Task ReceiveFramesAsync(IObserver<ReadOnlySequence<byte>> observer, CancellationToken cancellationToken)
    {
        var previous = Interlocked.CompareExchange(ref _readerState, ReaderTaken, ReaderAvailable);
        if (previous != ReaderAvailable)
        {
            observer.OnError(previous == ReaderTaken
                ? new InvalidOperationException("The frames of a connection can be subscribed to only once.")
                : CopyCloseError());
            return;
        }

        try
        {
            await ReceiveLoopAsync(observer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Without an exception: a peer still writing should see "stopped receiving", not our parse error.
            await _transport.Input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(IObserver<ReadOnlySequence<byte>> observer, CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // Unsubscribed: Rx has detached the observer, nothing more to say.
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
            catch (Exception error) when (TransportErrors.IsLocalClose(error))
            {
                throw new ConnectionAbortedException("the connection was closed while receiving", error);
            }
            catch (Exception error)
            {
                throw TransportErrors.Unexpected(error);
            }

            if (result.IsCanceled)
                throw CopyCloseError();

            var buffer = result.Buffer;
            var consumed = buffer.Start;
            try
            {
                while (LengthPrefixedFrameCodec.TryDecode(buffer, _maxPayloadSize, out var payload, out var frameEnd))
                {
                    try
                    {
                        observer.OnNext(payload);
                    }
                    catch (Exception error)
                    {
                        Abort(error);
                        throw;
                    }

                    consumed = frameEnd;
                    buffer = buffer.Slice(frameEnd);
                    if (cancellationToken.IsCancellationRequested)
                        return;
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                        throw ConnectionClosedException.MidFrame();
                    return; // A clean end at a frame boundary: Rx turns the completed task into OnCompleted.
                }
            }
            finally
            {
                input.AdvanceTo(consumed, result.Buffer.End);
            }
        }
    }

    /// <summary>Ends receiving: wakes the read loop, or, if nobody ever subscribed, completes the input now.</summary>
    private void StopReceiving()
    {
        if (Interlocked.CompareExchange(ref _readerState, ReaderClosed, ReaderAvailable) == ReaderAvailable)
            _transport.Input.Complete();
        else if (Volatile.Read(ref _readerState) == ReaderTaken)
        {
            try
            {
                // The loop owns the reader (PipeReader is not thread-safe); it completes it on its way out.
                _transport.Input.CancelPendingRead();
            }
            catch (ObjectDisposedException)
            {
                // A stream's reader that the loop completed meanwhile: nothing left to wake.
            }
        }
    }
}
