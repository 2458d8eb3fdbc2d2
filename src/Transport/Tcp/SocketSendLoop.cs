using System.IO.Pipelines;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>
/// Moves what a pipe holds to a connected socket, then shuts down the socket's sending side (the FIN),
/// so everything written before the pipe's writer completed goes out before the end of the stream.
/// </summary>
/// <remarks>
/// Pipelines.Sockets.Unofficial's <c>SocketConnection</c> has a loop like this one, but gives no way to wait for
/// it, and its <c>Dispose</c> closes the socket at once: with a send pipe that lets sends complete before the
/// socket has the bytes, disposing right after a send would lose them. This loop's <see cref="Completion"/> is
/// what disposal waits for.
/// </remarks>
internal sealed class SocketSendLoop
{
    // Set while this thread completes a send pipe's writer: the loop then sends the rest and the FIN right here.
    [ThreadStatic]
    private static bool t_completing;

    private readonly Socket _socket;
    private readonly Pipe _pipe;

    public SocketSendLoop(Socket socket, PipeOptions options)
    {
        _socket = socket;
        _pipe = new Pipe(new PipeOptions(
            options.Pool,
            readerScheduler: ReplyInline.Instance,
            writerScheduler: options.WriterScheduler,
            pauseWriterThreshold: options.PauseWriterThreshold,
            resumeWriterThreshold: options.ResumeWriterThreshold,
            minimumSegmentSize: options.MinimumSegmentSize,
            useSynchronizationContext: false));
        Writer = new CompletingInline(_pipe.Writer);
        // Runs here only up to its first read, which waits: the pipe is empty.
        Completion = RunAsync();
    }

    /// <summary>Where frames are written.</summary>
    public PipeWriter Writer { get; }

    /// <summary>
    /// Completes when the loop has ended: after the writer completed and every byte was handed to the socket and
    /// the sending side shut down, or after the socket failed (the writer's next flush then throws that failure).
    /// Never faults.
    /// </summary>
    public Task Completion { get; }

    private async Task RunAsync()
    {
        var reader = _pipe.Reader;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    foreach (var segment in buffer)
                        await SendAllAsync(segment).ConfigureAwait(false);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                    break;
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception error)
        {
            // Reset by the peer, or closed here (an abort disposes the socket under a pending send).
            failure = error;
        }
        finally
        {
            // With an exception, the writer's next flush throws it: that is how a failed socket reaches a sender.
            await reader.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Wakes the loop on the sending thread when that thread is a socket's receive loop (a frame answered from inside
    /// the frame callbacks, as a handshake turn is) or is completing the writer (closing: the rest and the FIN go
    /// out on the closing thread, which then waits for nothing else), and on the thread pool otherwise.
    /// </summary>
    /// <remarks>
    /// An answer goes out with one system call on the thread that received what it answers, instead of a hop to
    /// another thread and back; the loop does no more than move bytes to the socket there (a send that would block
    /// continues on the thread pool). A sender that streams frames from its own thread keeps the hop, so the loop
    /// runs beside it and takes many queued frames per system call.
    /// </remarks>
    private sealed class ReplyInline : PipeScheduler
    {
        public static ReplyInline Instance { get; } = new();

        public override void Schedule(Action<object?> action, object? state)
        {
            if (SocketReceiveLoop.IsReceiving || t_completing)
                action(state);
            else
                ThreadPool.Schedule(action, state);
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>The pipe's writer, completed with <see cref="t_completing"/> set.</summary>
    private sealed class CompletingInline(PipeWriter writer) : PipeWriter
    {
        public override void Advance(int bytes) => writer.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => writer.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => writer.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => writer.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => writer.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => writer.CanGetUnflushedBytes;

        public override long UnflushedBytes => writer.UnflushedBytes;

        public override void Complete(Exception? exception = null)
        {
            var previous = t_completing;
            t_completing = true;
            try
            {
                writer.Complete(exception);
            }
            finally
            {
                t_completing = previous;
            }
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            try
            {
                Complete(exception);
                return default;
            }
            catch (Exception error)
            {
                return ValueTask.FromException(error);
            }
        }
    }
}
