using System.IO.Pipelines;
using System.Net.Sockets;
using Pipelines.Sockets.Unofficial;

namespace SecretChat.Transport;

/// <summary>
/// A frame connection over a connected stream socket (TCP, a Unix domain socket): received through
/// <see cref="SocketConnection"/>, sent through a send loop that disposal can wait for. The kit for a socket-based
/// transport: connect or accept the socket your way, then hand it to <see cref="Create"/>.
/// </summary>
/// <remarks><see cref="PipeFrameConnection.CompleteAsync"/> shuts the socket's sending side down (a half-close).</remarks>
public sealed class SocketFrameConnection : PipeFrameConnection
{
    private readonly SocketConnection _connection;
    private readonly SocketSendLoop _sender;

    private SocketFrameConnection(SocketConnection connection, SocketSendLoop sender, FrameConnectionOptions options)
        : base(new SocketPipe(connection.Input, sender.Writer), options, connection.Socket.RemoteEndPoint)
    {
        _connection = connection;
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
        // SocketConnection's own sending side stays unused (see SocketSendLoop); its pipe is completed on close.
        var connection = SocketConnection.Create(
            socket,
            new PipeOptions(useSynchronizationContext: false),
            options.CreateSocketReceivePipeOptions(),
            SocketConnectionOptions.None,
            name: $"secretchat {socket.RemoteEndPoint}");
        var sender = new SocketSendLoop(socket, FrameConnectionOptions.CreateSocketSendPipeOptions());
        return new SocketFrameConnection(connection, sender, options) { Transport = isTcp ? TransportKind.Tcp : TransportKind.Other };
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
                // Linger zero turns the close into a reset, so the peer learns at once that this was no clean
                // end. The socket is closed here, before SocketConnection.Dispose, which shuts the sending
                // side down first and so would show the peer a clean end-of-stream ahead of the reset.
                _connection.Socket.LingerState = new LingerOption(enable: true, seconds: 0);
                _connection.Socket.Dispose();
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException)
            {
                // Already closed: nothing left to reset.
            }
        }

        // Ends SocketConnection's idle send loop; by now the send loop has finished (or the socket is gone).
        _connection.Output.Complete();
        _connection.Dispose();
    }

    private sealed record SocketPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
