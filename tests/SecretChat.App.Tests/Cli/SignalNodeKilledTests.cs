using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Signaling;
using SecretChat.Tests;

namespace SecretChat.App.Tests.Cli;

/// <summary>
/// Issue 18, "a node killed mid-run loses no room", with real processes: three <c>secretchat signal --redis</c> nodes
/// sharing one <c>redis-server</c> on 127.0.0.1, room pairs registered at random nodes, and one node SIGKILLed (no
/// shutdown, no Leave, its socket simply gone) while some rooms are matched and relaying and others wait for their
/// second member. (The in-process variant, which disposes a node, is SecretChat.Signaling.Tests' NodeKilledTests.)
/// </summary>
/// <remarks>
/// Bounded: six rooms (every client is 127.0.0.1, and the command keeps its per-source limits of 8 open rooms and
/// 10 packets a second, so registrations go one after another), every wait within <see cref="WaitLimit"/>.
/// </remarks>
public sealed class SignalNodeKilledTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    /// <summary>Client timings scaled down so that a dead node is noticed in about 4 s (as in the in-process test).</summary>
    private static readonly RendezvousClientOptions Fast = new()
    {
        InitialRetransmit = TimeSpan.FromMilliseconds(200),
        MaxRetransmit = TimeSpan.FromMilliseconds(500),
        ServerTimeout = TimeSpan.FromSeconds(3),
        KeepAliveInterval = TimeSpan.FromSeconds(1),
    };

    [RedisFact]
    public async Task SignalRedis_ANodeSigkilledMidRun_NoRoomIsLostRelayCarriesOnAndRedisIsLeftEmpty()
    {
        await using var redis = await RedisServer.StartAsync();
        var ports = new[] { LoopbackPorts.UnusedUdp(), LoopbackPorts.UnusedUdp(), LoopbackPorts.UnusedUdp() };
        var nodes = ports.Select(port => new IPEndPoint(IPAddress.Loopback, port)).ToArray();
        var processes = new List<SecretChatProcess>();
        var peers = new List<Peer>();
        try
        {
            foreach (var node in nodes)
            {
                var process = SecretChatProcess.Start(
                    ["signal", "--listen", node.ToString(), "--redis", redis.Address, "--node-address", node.ToString()], environment: null, name: $"signal {node.Port}");
                processes.Add(process);
            }

            foreach (var process in processes)
                await process.WaitForLineAsync(line => line.Contains("signaling server listening on udp", StringComparison.Ordinal), WaitLimit);

            var random = new Random(18);
            var run = Guid.NewGuid().ToString("N")[..8];
            Peer NewPeer() => new(Rotated(nodes, random.Next(3)), peers);

            // Three rooms matched before the kill, their members keeping their membership and relaying to each other.
            var sessions = new List<(Peer First, Peer Second)>();
            for (var i = 0; i < 3; i++)
            {
                var (first, second) = (NewPeer(), NewPeer());
                var waiting = first.Client.RegisterAsync($"{run}-session-{i}", []);
                var matched = await second.Client.RegisterAsync($"{run}-session-{i}", []).WaitAsync(WaitLimit);
                Assert.Equal(first.Client.PeerId, matched.Peer);
                Assert.Equal(second.Client.PeerId, (await waiting.WaitAsync(WaitLimit)).Peer);
                first.Client.KeepMembership();
                second.Client.KeepMembership();
                await RelaysAsync(first, second, "before");
                sessions.Add((first, second));
            }

            // Three rooms whose first member waits when the node dies.
            var waitingRooms = new List<(Peer First, Task<PeerMatch> Match)>();
            for (var i = 0; i < 3; i++)
            {
                var first = NewPeer();
                var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var match = first.Client.RegisterAsync($"{run}-waiting-{i}", [], new Reported(() => registered.TrySetResult()));
                await Task.WhenAny(registered.Task, match).Unwrap().WaitAsync(WaitLimit);
                waitingRooms.Add((first, match));
            }

            // The node most members talk to now, so that the kill surely hits rooms of both kinds.
            var killed = Enumerable.Range(0, 3).MaxBy(k => peers.Count(p => p.Client.Server.Equals(nodes[k])));
            var hit = peers.Where(p => p.Client.Server.Equals(nodes[killed])).ToList();
            Assert.NotEmpty(hit);
            using (var victim = Process.GetProcessById(processes[killed].Id))
            {
                victim.Kill(); // SIGKILL: no Leave, no shutdown, nothing flushed
                await victim.WaitForExitAsync().WaitAsync(WaitLimit);
            }

            // The waiting rooms get their second member, each starting at a random node (the dead one among them).
            var seconds = new List<(Peer Second, Task<PeerMatch> Match)>();
            for (var i = 0; i < waitingRooms.Count; i++)
            {
                var second = NewPeer();
                seconds.Add((second, second.Client.RegisterAsync($"{run}-waiting-{i}", [])));
            }

            for (var i = 0; i < waitingRooms.Count; i++)
            {
                var firstMatch = await waitingRooms[i].Match.WaitAsync(WaitLimit);
                var secondMatch = await seconds[i].Match.WaitAsync(WaitLimit);
                Assert.Equal(seconds[i].Second.Client.PeerId, firstMatch.Peer);
                Assert.Equal(waitingRooms[i].First.Client.PeerId, secondMatch.Peer);
            }

            // Every member of the dead node moved to a live one with its room, and every session still relays, both ways.
            await Until(() => peers.All(p => !p.Client.Server.Equals(nodes[killed])));
            foreach (var (first, second) in sessions)
            {
                await RelaysAsync(first, second, "after");
                await RelaysAsync(second, first, "back");
            }

            foreach (var peer in peers)
                await peer.Client.LeaveAsync();
            Assert.Empty(await RoomKeysOnceEmptyAsync(redis));
        }
        finally
        {
            foreach (var peer in peers)
                await peer.DisposeAsync();
            foreach (var process in processes)
            {
                await process.DisposeAsync();
                output.WriteLine($"--- {process.Name}\n{process.Transcript()}");
            }
        }
    }

    private static IPEndPoint[] Rotated(IPEndPoint[] nodes, int first) => [.. Enumerable.Range(0, nodes.Length).Select(k => nodes[(first + k) % nodes.Length])];

    /// <summary>
    /// <paramref name="from"/> relays <paramref name="text"/> until <paramref name="to"/> hears it (a datagram may be lost
    /// while a member moves to another node or follows a redirect to its room's home: sent again each half second, within the limit).
    /// </summary>
    private static async Task RelaysAsync(Peer from, Peer to, string text)
    {
        var heard = to.Next(text);
        var deadline = Stopwatch.StartNew();
        while (!heard.IsCompleted)
        {
            Assert.True(deadline.Elapsed < WaitLimit, $"'{text}' was not relayed from {from.Client.Server} to {to.Client.Server} within {WaitLimit.TotalSeconds:0} s");
            await from.Client.RelayAsync(System.Text.Encoding.UTF8.GetBytes(text));
            await Task.WhenAny(heard, Task.Delay(TimeSpan.FromMilliseconds(500)));
        }

        await heard;
    }

    /// <summary>Room and member keys in Redis once the Leaves have arrived (each one datagram: polled within a bound).</summary>
    private static async Task<IReadOnlyList<string>> RoomKeysOnceEmptyAsync(RedisServer redis)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var keys = await KeysAsync(redis);
            var rooms = keys.Where(k => k.StartsWith("sc:room:", StringComparison.Ordinal) || k.StartsWith("sc:member:", StringComparison.Ordinal)).ToList();
            if (rooms.Count == 0 || deadline.Elapsed > TimeSpan.FromSeconds(10))
                return rooms;
            await Task.Delay(100);
        }
    }

    /// <summary>Every key, by <c>KEYS *</c> in Redis's inline protocol over a plain TCP connection (a handful of keys here).</summary>
    private static async Task<IReadOnlyList<string>> KeysAsync(RedisServer redis)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(redis.EndPoint).WaitAsync(WaitLimit);
        await using var stream = client.GetStream();
        await stream.WriteAsync("KEYS *\r\n"u8.ToArray());
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var header = await reader.ReadLineAsync().WaitAsync(WaitLimit) ?? "";
        Assert.StartsWith("*", header, StringComparison.Ordinal);
        var count = int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture);
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
        {
            await reader.ReadLineAsync().WaitAsync(WaitLimit); // $length
            keys.Add(await reader.ReadLineAsync().WaitAsync(WaitLimit) ?? "");
        }

        return keys;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <see cref="WaitLimit"/>.</summary>
    private static async Task Until(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < WaitLimit, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }

    private sealed class Reported(Action reported) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => reported();
    }

    /// <summary>A rendezvous client that knows all three nodes (in its own order), on its own loopback socket.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly System.Threading.Channels.Channel<string> _relayed = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly IDisposable _subscription;

        public Peer(IReadOnlyList<IPEndPoint> servers, List<Peer> all)
        {
            all.Add(this);
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Client = new RendezvousClient(
                servers,
                (datagram, to, ct) => new ValueTask(_socket.SendToAsync(datagram, SocketFlags.None, to, ct).AsTask()),
                DefaultScheduler.Instance,
                Fast);
            _subscription = Client.Relayed.Subscribe(payload => _relayed.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(payload.Span)));
            _loop = Task.Run(async () =>
            {
                var buffer = new byte[2048];
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                        Client.TryHandle(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
                    }
                    catch (Exception) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (SocketException)
                    {
                        // ICMP port unreachable from the killed node: the client's own timeout notices the silence.
                    }
                }
            });
        }

        public RendezvousClient Client { get; }

        /// <summary>Completes when a relayed datagram with <paramref name="text"/> arrives (earlier copies of other texts are skipped).</summary>
        public async Task Next(string text)
        {
            while (await _relayed.Reader.ReadAsync() != text)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            await _loop;
            _subscription.Dispose();
            Client.Dispose();
            _stop.Dispose();
        }
    }
}
