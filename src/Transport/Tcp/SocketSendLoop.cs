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
    private readonly Socket _socket;
    private readonly Pipe _pipe;

    public SocketSendLoop(Socket socket, PipeOptions options)
    {
        _socket = socket;
        _pipe = new Pipe(options);
        Completion = RunAsync();
    }

    /// <summary>Where frames are written.</summary>
    public PipeWriter Writer => _pipe.Writer;

    /// <summary>
    /// Completes when the loop has ended: after the writer completed and every byte was handed to the socket and
    /// the sending side shut down, or after the socket failed (the writer's next flush then throws that failure).
    /// Never faults.
    /// </summary>
    public Task Completion { get; }

    private async Task RunAsync()
    {
        // Not on the constructing thread: the loop's first await should not run the caller's continuation.
        await Task.Yield();
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

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }
}
