using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Threading.Channels;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

/// <summary>
/// What an owner of a socket does with a <see cref="TurnClient"/>: one UDP socket on 127.0.0.1, a receive loop that
/// offers every datagram to the client and queues what it delivers. The client can be replaced (same socket, same
/// 5-tuple at the server) to test deallocation.
/// </summary>
internal sealed class TurnSocket : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<(IPEndPoint Peer, byte[] Payload)> _delivered = Channel.CreateUnbounded<(IPEndPoint, byte[])>();
    private readonly Task _receiveLoop;
    private long _sentChannelData;
    private long _receivedChannelData;
    private long _notConsumed;

    public TurnSocket(IPEndPoint server, TurnCredentials credentials, TurnClientOptions? options = null)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Client = NewClient(server, credentials, options);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public TurnClient Client { get; private set; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>ChannelData datagrams this socket sent to the server.</summary>
    public long SentChannelData => Interlocked.Read(ref _sentChannelData);

    /// <summary>ChannelData datagrams this socket received from the server.</summary>
    public long ReceivedChannelData => Interlocked.Read(ref _receivedChannelData);

    /// <summary>Datagrams the client said were not its own.</summary>
    public long NotConsumed => Interlocked.Read(ref _notConsumed);

    /// <summary>A fresh client on the same socket, after the old one is disposed.</summary>
    public TurnClient Replace(IPEndPoint server, TurnCredentials credentials, TurnClientOptions? options = null) =>
        Client = NewClient(server, credentials, options);

    /// <summary>The next datagram a peer sent through the relay, or a timeout failure.</summary>
    public async Task<(IPEndPoint Peer, byte[] Payload)> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await _delivered.Reader.ReadAsync(cancel.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _stop.CancelAsync();
        _socket.Dispose();
        try { await _receiveLoop; }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    private TurnClient NewClient(IPEndPoint server, TurnCredentials credentials, TurnClientOptions? options) =>
        new(server, credentials, SendAsync, DefaultScheduler.Instance, options);

    private async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
    {
        if (TurnChannelData.IsChannelData(datagram.Span))
            Interlocked.Increment(ref _sentChannelData);
        await _socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }

            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            if (TurnChannelData.IsChannelData(datagram))
                Interlocked.Increment(ref _receivedChannelData);
            if (!Client.TryHandle(datagram, (IPEndPoint)received.RemoteEndPoint, out var delivery))
                Interlocked.Increment(ref _notConsumed);
            else if (delivery.HasPayload)
                _delivered.Writer.TryWrite((delivery.Peer!, delivery.Payload.ToArray()));
        }
    }
}
