using System.IO.Pipelines;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>
/// Moves what a connected socket receives into a pipe, until the peer's end of stream (the pipe completes), a
/// failure (the pipe completes with it), or until the pipe's reader stops reading.
/// </summary>
/// <remarks>
/// <para>The pipe's reader (the frame decoder) runs inline on this loop's thread, right after the receive that
/// brought its bytes, instead of being posted to the thread pool: one hop per received batch instead of three
/// (Pipelines.Sockets.Unofficial's <c>SocketConnection</c> posts the socket's completion to the pipe's writer
/// scheduler, and the pipe posts the reader again). Anything else that wakes the reader (a close from another
/// thread cancelling its read) still goes through the thread pool, so no caller of <c>Abort</c> or
/// <c>DisposeAsync</c> runs the receive callbacks on its own stack.</para>
/// <para>Back-pressure: a flush that finds the pipe above its pause threshold (the reader busy, or a partial frame
/// not yet whole) waits, and with it the next receive, so the kernel's window closes on the peer.</para>
/// </remarks>
internal sealed class SocketReceiveLoop
{
    // The receive loop running on this thread right now, while it hands bytes to its reader.
    [ThreadStatic]
    private static SocketReceiveLoop? t_current;

    private readonly Socket _socket;
    private readonly Pipe _pipe;

    public SocketReceiveLoop(Socket socket, PipeOptions options)
    {
        _socket = socket;
        _pipe = new Pipe(new PipeOptions(
            options.Pool,
            readerScheduler: new InlineOnLoop(this),
            writerScheduler: options.WriterScheduler,
            pauseWriterThreshold: options.PauseWriterThreshold,
            resumeWriterThreshold: options.ResumeWriterThreshold,
            minimumSegmentSize: options.MinimumSegmentSize,
            useSynchronizationContext: false));
        // Runs here until the first receive that has to wait (at once, unless the peer already sent something).
        Completion = RunAsync();
    }

    /// <summary>Where received bytes are read.</summary>
    public PipeReader Reader => _pipe.Reader;

    /// <summary>Completes when the loop has ended (end of stream, failure, or the reader gone). Never faults.</summary>
    public Task Completion { get; }

    /// <summary>
    /// Whether this thread is inside a receive loop handing bytes to its reader, that is, inside the frame callbacks
    /// of a socket connection: a send made there answers what was just received (a handshake turn) and may go out
    /// on this thread (see <see cref="SocketSendLoop"/>).
    /// </summary>
    public static bool IsReceiving => t_current is not null;

    private async Task RunAsync()
    {
        var writer = _pipe.Writer;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var buffer = writer.GetMemory();
                var received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                    break; // The peer's FIN: a clean end, if it fell on a frame boundary.

                writer.Advance(received);
                var flushing = FlushHere(writer);
                var flushed = flushing.IsCompleted ? flushing.Result : await flushing.ConfigureAwait(false);
                if (flushed.IsCompleted)
                    break; // The reader is gone: nobody wants more.
            }
        }
        catch (Exception error)
        {
            // Reset by the peer, or the socket closed here (disposal); the reader maps either to its own exception.
            failure = error;
        }

        // The reader learns of the end (or the failure) inline too.
        var previous = t_current;
        t_current = this;
        try
        {
            writer.Complete(failure);
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>Flushes with this loop marked as current, so the reader's continuation runs inline, here.</summary>
    private ValueTask<FlushResult> FlushHere(PipeWriter writer)
    {
        var previous = t_current;
        t_current = this;
        try
        {
            return writer.FlushAsync();
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>Inline on the loop's own flush; everywhere else (a cancelled read, say) on the thread pool.</summary>
    private sealed class InlineOnLoop(SocketReceiveLoop loop) : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state)
        {
            if (ReferenceEquals(t_current, loop))
                action(state);
            else
                ThreadPool.Schedule(action, state);
        }
    }
}
