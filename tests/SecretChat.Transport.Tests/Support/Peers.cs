using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

/// <summary>The transports every connection test runs over.</summary>
public enum TransportKind
{
    InMemory,
    Tcp,
}

/// <summary>Two connected ends and whatever has to outlive them (the TCP listener).</summary>
internal sealed class ConnectedPair : IAsyncDisposable
{
    private readonly TcpFrameListener? _listener;

    private ConnectedPair(IFrameConnection client, IFrameConnection server, TcpFrameListener? listener)
    {
        Client = client;
        Server = server;
        _listener = listener;
    }

    public IFrameConnection Client { get; }

    public IFrameConnection Server { get; }

    public static async Task<ConnectedPair> CreateAsync(TransportKind kind, FrameConnectionOptions? options = null)
    {
        if (kind == TransportKind.InMemory)
        {
            var (left, right) = InMemoryFrameTransport.CreatePair(options);
            return new ConnectedPair(left, right, null);
        }

        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        var accepting = listener.AcceptAsync().AsTask();
        var client = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port, options).WaitAsync(Timeouts.Default);
        var server = await accepting.WaitAsync(Timeouts.Default);
        return new ConnectedPair(client, server, listener);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        if (_listener is not null)
            await _listener.DisposeAsync();
    }
}

/// <summary>A plain socket, for peers that break the protocol on purpose.</summary>
internal static class RawPeer
{
    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(Timeouts.Default);
        return socket;
    }

    /// <summary>Closes with a reset (linger zero) instead of a clean end.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
