using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>One UDP socket on 127.0.0.1 shared by a <see cref="RendezvousClient"/> and a <see cref="StunClient"/>, as the p2p command will.</summary>
internal sealed class LoopbackPeer : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackPeer(IPEndPoint server, RendezvousClientOptions? options = null)
        : this([server], options)
    {
    }

    /// <summary>A client of several signaling nodes, tried in order (issue 18).</summary>
    public LoopbackPeer(IReadOnlyList<IPEndPoint> servers, RendezvousClientOptions? options = null)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Rendezvous = new RendezvousClient(servers, SendAsync, DefaultScheduler.Instance, options);
        Stun = new StunClient(SendAsync, DefaultScheduler.Instance, ServerHarness.PaddedStun);
        _loop = Task.Run(ReceiveAsync);
    }

    public RendezvousClient Rendezvous { get; }

    public StunClient Stun { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public int Unclaimed;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken) =>
        new(_socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken).AsTask());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try { await _loop; }
        catch (OperationCanceledException) { }
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

            var from = (IPEndPoint)received.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            if (!Stun.TryHandle(datagram, from) && !Rendezvous.TryHandle(datagram, from))
                Interlocked.Increment(ref Unclaimed);
        }
    }
}
