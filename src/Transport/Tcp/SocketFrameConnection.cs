using System.Net.Sockets;
using Pipelines.Sockets.Unofficial;

namespace SecretChat.Transport;

/// <summary>A frame connection over a connected TCP socket, through <see cref="SocketConnection"/>.</summary>
internal sealed class SocketFrameConnection : PipeFrameConnection
{
    private readonly SocketConnection _connection;

    private SocketFrameConnection(SocketConnection connection, FrameConnectionOptions options)
        : base(connection, options, connection.Socket.RemoteEndPoint)
    {
        _connection = connection;
    }

    /// <summary>Takes ownership of <paramref name="socket"/> (connected) and starts its send and receive loops.</summary>
    public static SocketFrameConnection Create(Socket socket, FrameConnectionOptions? options)
    {
        options ??= FrameConnectionOptions.Default;
        options.Validate();
        // Frames are small and interactive: send each one now rather than wait to coalesce (Nagle).
        socket.NoDelay = true;
        var connection = SocketConnection.Create(
            socket,
            FrameConnectionOptions.CreateSocketSendPipeOptions(),
            options.CreateReceivePipeOptions(),
            SocketConnectionOptions.None,
            name: $"secretchat-tcp {socket.RemoteEndPoint}");
        return new SocketFrameConnection(connection, options);
    }

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

        _connection.Dispose();
    }
}
