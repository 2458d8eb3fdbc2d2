using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SecretChat.Tests;

/// <summary>
/// A source on loopback (any 127.0.0.x address, any port) that sends what a test tells it to one peer and counts every
/// byte both ways: what an attacker forging that source would send, and what the peer would reflect at the victim.
/// </summary>
public sealed class UdpStranger : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _peer;
    private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<byte[]> _received = [];
    private long _sent;
    private long _bytesReceived;

    public UdpStranger(IPAddress address, IPEndPoint peer)
    {
        _peer = peer;
        _socket.Bind(new IPEndPoint(address, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = ReceiveAsync();
    }

    public IPEndPoint LocalEndPoint { get; }

    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Every byte that arrived, read or not.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>The datagrams read so far with <see cref="NextAsync"/>.</summary>
    public IReadOnlyList<byte[]> Received
    {
        get
        {
            lock (_received)
                return [.. _received];
        }
    }

    public void Send(byte[] datagram)
    {
        Interlocked.Add(ref _sent, datagram.Length);
        _socket.SendTo(datagram, _peer);
    }

    /// <summary>The next datagram that arrives (waits at most <see cref="Timeouts.Default"/>).</summary>
    public async Task<byte[]> NextAsync()
    {
        var datagram = await _inbox.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Default);
        lock (_received)
            _received.Add(datagram);
        return datagram;
    }

    /// <summary>Reads datagrams until one matches (waits at most <see cref="Timeouts.Default"/> for each).</summary>
    public async Task<byte[]> NextAsync(Func<byte[], bool> match)
    {
        while (true)
        {
            var datagram = await NextAsync();
            if (match(datagram))
                return datagram;
        }
    }

    public override string ToString() => LocalEndPoint.ToString();

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Interlocked.Add(ref _bytesReceived, result.ReceivedBytes);
                _inbox.Writer.TryWrite(buffer.AsSpan(0, result.ReceivedBytes).ToArray());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            _inbox.Writer.TryComplete();
        }
    }
}
