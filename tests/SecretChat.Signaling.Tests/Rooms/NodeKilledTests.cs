using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Pseudo;
using SecretChat.Signaling.PeerToPeer;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary>
/// Issue 18: three signaling nodes sharing one real redis-server on 127.0.0.1, clients that know all three, and one
/// node killed mid-run. No room is lost: its members register again at another node (a rejoin, with their token) and
/// are matched; a p2p session between two matched members carries on across the kill.
/// </summary>
public sealed class NodeKilledTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    /// <summary>Client timings scaled down so that a dead node is noticed in about 4 s rather than 10 (the same rules; not so short that a loaded machine's slow answer counts as a dead node).</summary>
    private static readonly RendezvousClientOptions Fast = new()
    {
        InitialRetransmit = TimeSpan.FromMilliseconds(200),
        MaxRetransmit = TimeSpan.FromMilliseconds(500),
        ServerTimeout = TimeSpan.FromSeconds(3),
        KeepAliveInterval = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task ThreeNodes_OneKilledMidRun_NoRoomIsLostAndEveryPairIsMatched()
    {
        await using var nodes = await RedisNodes.StartAsync(3);
        const int Rooms = 30;
        var run = Guid.NewGuid().ToString("N")[..8];
        var firsts = new List<LoopbackPeer>();
        var seconds = new List<LoopbackPeer>();
        try
        {
            // The first member of room i knows the nodes starting at node i % 3: a third of them wait at node 0.
            var waiting = new List<Task>();
            var firstMatches = new List<Task<PeerMatch>>();
            for (var i = 0; i < Rooms; i++)
            {
                var peer = new LoopbackPeer(Rotated(nodes, i % 3), Fast);
                firsts.Add(peer);
                var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting.Add(registered.Task);
                firstMatches.Add(peer.Rendezvous.RegisterAsync($"{run}-{i}", [], new Reported(() => registered.TrySetResult())));
            }

            // Waiting, all of them (a registration that failed instead says why at once).
            await Task.WhenAny(Task.WhenAll(waiting), Task.WhenAny(firstMatches)).Unwrap().WaitAsync(WaitLimit);
            Assert.All(firstMatches, m => Assert.False(m.IsFaulted, m.Exception?.InnerException?.Message));
            await Task.WhenAll(waiting).WaitAsync(WaitLimit);
            Assert.Equal(Rooms / 3, firsts.Count(p => p.Rendezvous.Server.Equals(nodes[0])));

            await nodes.Nodes[0].DisposeAsync(); // killed mid-run: its rooms live on in Redis, its members hear nothing more

            // The second member of room i starts at node (i + 1) % 3: a third of them at the dead node.
            var secondMatches = new List<Task<PeerMatch>>();
            for (var i = 0; i < Rooms; i++)
            {
                var peer = new LoopbackPeer(Rotated(nodes, (i + 1) % 3), Fast);
                seconds.Add(peer);
                secondMatches.Add(peer.Rendezvous.RegisterAsync($"{run}-{i}", []));
            }

            var matchedFirst = await Task.WhenAll(firstMatches).WaitAsync(WaitLimit);
            var matchedSecond = await Task.WhenAll(secondMatches).WaitAsync(WaitLimit);

            for (var i = 0; i < Rooms; i++)
            {
                Assert.Equal(seconds[i].Rendezvous.PeerId, matchedFirst[i].Peer);
                Assert.Equal(firsts[i].Rendezvous.PeerId, matchedSecond[i].Peer);
            }

            Assert.DoesNotContain(firsts.Concat(seconds), p => p.Rendezvous.Server.Equals(nodes[0]));
            foreach (var peer in firsts.Concat(seconds))
                await peer.Rendezvous.LeaveAsync();
            Assert.Empty(await RoomKeysOnceEmptyAsync(nodes));
        }
        finally
        {
            foreach (var peer in firsts.Concat(seconds))
                await peer.DisposeAsync();
        }
    }

    [Fact]
    public async Task ThreeNodes_TheNodeOfAChatKilled_TheSessionCarriesOnAndBothRejoinElsewhere()
    {
        await using var nodes = await RedisNodes.StartAsync(3);
        var servers = Rotated(nodes, 0);
        var options = PeerToPeerOptions.Default with { RelayFallback = null }; // loopback: the direct path always works
        var bobSocket = PeerSocket.Bind(IPAddress.Loopback, servers, DefaultScheduler.Instance, Fast);
        var aliceSocket = PeerSocket.Bind(IPAddress.Loopback, servers, DefaultScheduler.Instance, Fast);
        await using var bob = new PunchAttempt(bobSocket, DefaultScheduler.Instance, options);
        await using var alice = new PunchAttempt(aliceSocket, DefaultScheduler.Instance, options);
        var room = $"chat-{Guid.NewGuid():N}";

        var bobMeets = bob.MeetAsync(room, null, CancellationToken.None);
        var aliceMeets = alice.MeetAsync(room, null, CancellationToken.None);
        await Task.WhenAll(bobMeets, aliceMeets).WaitAsync(WaitLimit);
        var bobPunch = bob.PunchAsync(new PseudoSecurity(), bob.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var alicePunch = alice.PunchAsync(new PseudoSecurity(), alice.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var (bobSession, aliceSession) = (await bobPunch.WaitAsync(WaitLimit), await alicePunch.WaitAsync(WaitLimit));
        var heardByBob = new Heard(bobSession.Channel);
        var heardByAlice = new Heard(aliceSession.Channel);

        await aliceSession.Channel.SendAsync("before"u8.ToArray());
        Assert.Equal("before", await heardByBob.NextAsync());
        await nodes.Nodes[0].DisposeAsync(); // the node both registered at

        // The session never needed the node: it goes on at once, both ways.
        await aliceSession.Channel.SendAsync("during"u8.ToArray());
        await bobSession.Channel.SendAsync("back"u8.ToArray());
        Assert.Equal("during", await heardByBob.NextAsync());
        Assert.Equal("back", await heardByAlice.NextAsync());

        // Both notice the silence and rejoin at node 1 with their token: their room is kept there, ready for the relay.
        await Until(() => !bobSocket.Rendezvous.Server.Equals(nodes[0]) && !aliceSocket.Rendezvous.Server.Equals(nodes[0]));
        Assert.Equal(nodes[1], bobSocket.Rendezvous.Server);
        Assert.Equal(nodes[1], aliceSocket.Rendezvous.Server);
        await aliceSession.Channel.SendAsync("after"u8.ToArray());
        Assert.Equal("after", await heardByBob.NextAsync());
        Assert.False(aliceSession.Relayed);
        Assert.Equal(0, nodes.Nodes[1].Statistics.TokenRejected);
    }

    private static IPEndPoint[] Rotated(RedisNodes nodes, int first) => [.. Enumerable.Range(0, 3).Select(k => nodes[(first + k) % 3])];

    /// <summary>The room and member keys once the leaves have arrived (each Leave is one datagram: waited for, within a bound).</summary>
    private static async Task<IReadOnlyList<string>> RoomKeysOnceEmptyAsync(RedisNodes nodes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var keys = (await nodes.KeysAsync()).Where(k => k.StartsWith("sc:room:", StringComparison.Ordinal) || k.StartsWith("sc:member:", StringComparison.Ordinal)).ToList();
            if (keys.Count == 0 || DateTime.UtcNow > deadline)
                return keys;
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <see cref="WaitLimit"/>.</summary>
    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }

    private sealed class Reported(Action reported) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => reported();
    }

    /// <summary>What a channel receives, as text, one at a time.</summary>
    private sealed class Heard
    {
        private readonly System.Threading.Channels.Channel<string> _texts = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public Heard(SecureDatagramChannel channel) =>
            channel.Payloads.Subscribe(payload => _texts.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(payload.Span)));

        public async Task<string> NextAsync() => await _texts.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
    }
}
