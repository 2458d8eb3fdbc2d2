using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Signaling;
using SecretChat.Transport.Stun;

namespace SecretChat.Tests;

/// <summary>
/// A <see cref="RendezvousClient"/> on a real UDP socket on 127.0.0.1, sharing it with a <see cref="StunClient"/> as the
/// p2p command does: a receive loop offers every datagram to the STUN client, then to the rendezvous client, and counts
/// what neither claimed. The one test double of a signaling member for the Signaling and App tests.
/// </summary>
/// <remarks>
/// Not in tests/Shared's glob (it needs SecretChat.Signaling): the test projects that reference it link it by name.
/// </remarks>
internal sealed class LoopbackPeer : IAsyncDisposable
{
    /// <summary>SOFTWARE in the STUN requests, as netcheck sends: the server's bare answer fits in the 52-byte request.</summary>
    public static readonly StunClientOptions NetcheckStun = new() { Software = "SecretChat netcheck" };

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _marker = Guid.NewGuid().ToByteArray();
    private readonly Task _loop;
    private volatile TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _unclaimed;

    public LoopbackPeer(IPEndPoint server, RendezvousClientOptions? options = null)
        : this([server], options)
    {
    }

    /// <summary>A client of several signaling nodes, tried in order (issue 18).</summary>
    public LoopbackPeer(IReadOnlyList<IPEndPoint> servers, RendezvousClientOptions? options = null)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Rendezvous = new RendezvousClient(servers, SendAsync, DefaultScheduler.Instance, options);
        Stun = new StunClient(SendAsync, DefaultScheduler.Instance, NetcheckStun);
        _loop = Task.Run(ReceiveAsync);
    }

    public RendezvousClient Rendezvous { get; }

    public StunClient Stun { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams neither client claimed.</summary>
    public int Unclaimed => Volatile.Read(ref _unclaimed);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken) =>
        new(_socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken).AsTask());

    /// <summary>Sends a marker to this socket and waits until the receive loop got it, after everything queued before it.</summary>
    public async Task SyncAsync()
    {
        _synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _socket.SendToAsync(_marker, SocketFlags.None, _socket.LocalEndPoint!);
        await _synced.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        Rendezvous.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP error for an earlier send (a node that is gone): the socket still works
            }

            var from = (IPEndPoint)received.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            if (datagram.SequenceEqual(_marker))
                _synced.TrySetResult();
            else if (!Stun.TryHandle(datagram, from) && !Rendezvous.TryHandle(datagram, from))
                Interlocked.Increment(ref _unclaimed);
        }
    }
}
