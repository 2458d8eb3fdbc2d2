using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>
/// A frame connection over a connected stream socket (TCP, a Unix domain socket): one loop receives into a pipe
/// whose frame decoder runs on the receiving thread, one sends from a pipe and can be waited for on disposal. The kit for a socket-based
/// transport: connect or accept the socket your way, then hand it to <see cref="Create"/>.
/// </summary>
/// <remarks><see cref="PipeFrameConnection.CompleteAsync"/> shuts the socket's sending side down (a half-close).</remarks>
public sealed class SocketFrameConnection : PipeFrameConnection
{
    private readonly Socket _socket;
    private readonly SocketSendLoop _sender;

    private SocketFrameConnection(
        Socket socket, EndPoint? remoteEndPoint, SocketReceiveLoop receiver, SocketSendLoop sender, FrameConnectionOptions options)
        : base(new SocketPipe(receiver.Reader, sender.Writer), options, remoteEndPoint)
    {
        _socket = socket;
        _sender = sender;
    }

    /// <summary>Takes ownership of <paramref name="socket"/> (connected) and starts its send and receive loops.</summary>
    /// <param name="socket">A connected stream socket; the connection owns it.</param>
    /// <param name="options">Frame limits and timeouts (the defaults when null).</param>
    /// <returns>The connection; its <see cref="PipeFrameConnection.Transport"/> is TCP for a TCP socket, else other.</returns>
    public static SocketFrameConnection Create(Socket socket, FrameConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        options ??= FrameConnectionOptions.Default;
        options.Validate();
        var isTcp = socket.ProtocolType == ProtocolType.Tcp;
        // Frames are small and interactive: send each one now rather than wait to coalesce (Nagle).
        if (isTcp)
            socket.NoDelay = true;
        var remoteEndPoint = socket.RemoteEndPoint; // throws here, before any loop starts, if the peer is already gone
        var sender = new SocketSendLoop(socket, FrameConnectionOptions.CreateSocketSendPipeOptions());
        var receiver = new SocketReceiveLoop(socket, options.CreateSocketReceivePipeOptions());
        return new SocketFrameConnection(socket, remoteEndPoint, receiver, sender, options) { Transport = isTcp ? TransportKind.Tcp : TransportKind.Other };
    }

    /// <inheritdoc />
    protected override Task OutputDrained => _sender.Completion;

    /// <inheritdoc />
    protected override void CloseTransport(bool abortive)
    {
        if (abortive)
        {
            try
            {
                // Linger zero turns the close into a reset, so the peer learns at once that this was no clean end.
                _socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException)
            {
                // Already closed: nothing left to reset.
            }
        }

        // By now the send loop has finished (or the socket failed); closing ends the receive loop's pending receive,
        // and it completes the pipe, whose reader is already gone or being told of the close.
        _socket.Dispose();
    }

    private sealed record SocketPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
