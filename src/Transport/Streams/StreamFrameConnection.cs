using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>Frames over a <see cref="Stream"/> (see <see cref="PipeFrameConnection.Create"/>).</summary>
internal sealed class StreamFrameConnection(Stream stream, FrameConnectionOptions? options, EndPoint? remoteEndPoint)
    : PipeFrameConnection(CreatePipe(stream), options, remoteEndPoint)
{
    private static StreamPipe CreatePipe(Stream stream) => new(
        PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));

    protected override void OnOutputCompleted()
    {
        if (stream is not NetworkStream network)
            return;
        try
        {
            // The writer has flushed everything into the socket; the FIN follows it.
            network.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Already reset or closed: the peer learns the end from that.
        }
    }

    protected override void CloseTransport(bool abortive)
    {
        if (abortive && stream is NetworkStream network)
        {
            try
            {
                // A reset, not a clean end (as for a socket connection).
                network.Socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException)
            {
            }
        }

        stream.Dispose();
    }

    private sealed record StreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
