using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Signaling;
using SecretChat.Transport;
using SecretChat.Transport.Turn;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// Datagrams through a relay, both ways, under the same rules for the built-in relay and a TURN server: alice keeps a
/// window of datagrams in flight through the relay to bob, bob sends each one back through it, and every datagram
/// alice gets back lets her send the next. Each datagram crosses the relay server once in each direction.
/// </summary>
/// <remarks>
/// Set up with the product's own clients (<see cref="RendezvousClient"/>: cookie, Register, match; <see cref="TurnClient"/>:
/// Allocate with long-term credentials, CreatePermission, ChannelBind), which also build the one datagram each side then
/// sends again and again from the same socket: a Relay packet with the member's token, or ChannelData on the bound channel.
/// With TURN, bob is the peer of alice's allocation, on a plain socket, as a peer with a direct address is.
/// </remarks>
internal sealed class RelayLoad : IDisposable
{
    /// <summary>The payload of every relayed datagram: a sealed chat datagram's size.</summary>
    public const int PayloadBytes = 1100;

    private const int StallMilliseconds = 50;

    /// <summary>Stalls in a row after which a run fails instead of waiting forever (10 s).</summary>
    private const int MaxStalls = 200;

    private readonly Socket _alice;
    private readonly Socket _bob;
    private readonly byte[] _fromAlice;
    private readonly byte[] _fromBob;
    private readonly Func<ReadOnlySpan<byte>, bool> _isRelayed;
    private readonly IAsyncDisposable? _keep;
    private long _resent;

    private RelayLoad(Socket alice, Socket bob, byte[] fromAlice, byte[] fromBob, Func<ReadOnlySpan<byte>, bool> isRelayed, IAsyncDisposable? keep)
    {
        _alice = alice;
        _bob = bob;
        _fromAlice = fromAlice;
        _fromBob = fromBob;
        _isRelayed = isRelayed;
        _keep = keep;
        _alice.ReceiveTimeout = StallMilliseconds;
        _bob.ReceiveTimeout = StallMilliseconds;
    }

    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>Two members of one room at the signaling server at <paramref name="server"/>.</summary>
    public static async Task<RelayLoad> BuiltInAsync(IPEndPoint server)
    {
        var alice = new Capturing(server);
        var bob = new Capturing(server);
        var room = $"relay-load-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var waiting = alice.Rendezvous.RegisterAsync(room, []);
        await bob.Rendezvous.RegisterAsync(room, []).WaitAsync(TimeSpan.FromSeconds(30));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        var fromAlice = await alice.CaptureAsync(() => alice.Rendezvous.RelayAsync(new byte[PayloadBytes]));
        var fromBob = await bob.CaptureAsync(() => bob.Rendezvous.RelayAsync(new byte[PayloadBytes]));
        await alice.StopReceivingAsync();
        await bob.StopReceivingAsync();
        alice.Socket.Connect(server);
        bob.Socket.Connect(server);
        return new RelayLoad(alice.Socket, bob.Socket, fromAlice, fromBob,
            d => d.Length > 0 && d[0] == (byte)SignalingPacketType.Relayed, new Both(alice, bob));
    }

    /// <summary>Alice allocates at the TURN server at <paramref name="server"/> with coturn's shared-secret credentials; bob is her peer.</summary>
    public static async Task<RelayLoad> TurnAsync(IPEndPoint server)
    {
        var alice = new Capturing(server);
        var bob = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        bob.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var credentials = TurnCredentials.FromSharedSecret(Coturn.Secret, "bench", DateTimeOffset.UtcNow.AddHours(1));
        var turn = new TurnClient(server, credentials, alice.Send, DefaultScheduler.Instance);
        alice.Turn = turn;
        var relayed = await turn.AllocateAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await turn.PermitAsync((IPEndPoint)bob.LocalEndPoint!).WaitAsync(TimeSpan.FromSeconds(30));
        var fromAlice = await alice.CaptureAsync(() => turn.SendAsync(new byte[PayloadBytes], (IPEndPoint)bob.LocalEndPoint!));
        await alice.StopReceivingAsync();
        alice.Socket.Connect(server);
        bob.Connect(relayed);
        return new RelayLoad(alice.Socket, bob, fromAlice, new byte[PayloadBytes],
            d => TurnChannelData.IsChannelData(d), new Both(alice, turn));
    }

    /// <summary>Until <paramref name="roundTrips"/> datagrams came back to alice, <paramref name="window"/> in flight.</summary>
    public void Run(int roundTrips, int window)
    {
        using var done = new CancellationTokenSource();
        var echo = new Thread(() => Echo(done.Token)) { IsBackground = true };
        echo.Start();
        try
        {
            var buffer = new byte[2048];
            for (var i = 0; i < window; i++)
                _alice.Send(_fromAlice);
            var remaining = roundTrips;
            var stalls = 0;
            while (remaining > 0)
            {
                int received;
                try
                {
                    received = _alice.Receive(buffer);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    if (++stalls > MaxStalls)
                        throw new TimeoutException($"Nothing came back for {MaxStalls * StallMilliseconds / 1000} s: the server stopped answering (resent {Resent} windows).");
                    Interlocked.Increment(ref _resent);
                    for (var i = 0; i < window; i++)
                        _alice.Send(_fromAlice);
                    continue;
                }

                if (!_isRelayed(buffer.AsSpan(0, received)))
                    continue;
                stalls = 0;
                if (--remaining >= window)
                    _alice.Send(_fromAlice);
            }
        }
        finally
        {
            done.Cancel();
            echo.Join();
        }

        var rest = new byte[2048];
        while (_alice.Available > 0)
            _alice.Receive(rest);
    }

    private void Echo(CancellationToken done)
    {
        var buffer = new byte[2048];
        while (!done.IsCancellationRequested)
        {
            int received;
            try
            {
                received = _bob.Receive(buffer);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                continue;
            }

            if (received >= PayloadBytes)
                _bob.Send(_fromBob);
        }
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _keep?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }

    private sealed class Both(IAsyncDisposable first, IAsyncDisposable second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    /// <summary>A loopback socket whose client can be asked for the datagram it would send next, instead of sending it.</summary>
    private sealed class Capturing : IAsyncDisposable
    {
        private readonly byte[] _marker = Guid.NewGuid().ToByteArray();
        private readonly Task _loop;
        private volatile bool _stopping;
        private TaskCompletionSource<byte[]>? _capture;

        public Capturing(IPEndPoint server)
        {
            Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Send = async (datagram, to, ct) =>
            {
                if (Interlocked.Exchange(ref _capture, null) is { } capture)
                    capture.TrySetResult(datagram.ToArray());
                else
                    await Socket.SendToAsync(datagram, SocketFlags.None, to, ct);
            };
            Rendezvous = new RendezvousClient(Send, server, DefaultScheduler.Instance);
            _loop = Task.Run(ReceiveAsync);
        }

        public Socket Socket { get; } = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        public SendDatagram Send { get; }

        public RendezvousClient Rendezvous { get; }

        public TurnClient? Turn { get; set; }

        public async Task<byte[]> CaptureAsync(Func<ValueTask> send)
        {
            var capture = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _capture, capture);
            await send();
            return await capture.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        /// <summary>Ends the receive loop (a marker to itself wakes it), so the benchmark owns the socket.</summary>
        public async Task StopReceivingAsync()
        {
            _stopping = true;
            Socket.SendTo(_marker, Socket.LocalEndPoint!);
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public ValueTask DisposeAsync()
        {
            Rendezvous.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[2048];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                var received = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
                var datagram = buffer.AsSpan(0, received.ReceivedBytes);
                if (_stopping && datagram.SequenceEqual(_marker))
                    return;
                var from = (IPEndPoint)received.RemoteEndPoint;
                if (Turn is { } turn && turn.TryHandle(datagram, from, out _))
                    continue;
                Rendezvous.TryHandle(datagram, from);
            }
        }
    }
}
