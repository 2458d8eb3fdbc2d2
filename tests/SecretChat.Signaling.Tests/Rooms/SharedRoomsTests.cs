using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using SecretChat.Security;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary>Several signaling nodes on 127.0.0.1 sharing their rooms through one real redis-server.</summary>
public class SharedRoomsTests
{
    /// <summary>Per answer: generous, since every node makes its Redis calls in turn and CI machines get loaded.</summary>
    private static readonly TimeSpan Timeout = 3 * Timeouts.Default;

    /// <summary>The bound on the whole of the 1,000 pairs (about 10 s on an idle two-core machine).</summary>
    private static readonly TimeSpan PairsBound = TimeSpan.FromMinutes(5);

    [RedisFact]
    public async Task ThreeNodes_ThousandPairsRegisteredAtRandomNodes_AllMatchAndLeaveNothingInRedis()
    {
        const int Pairs = 1000;
        await using var nodes = await RedisNodes.StartAsync(3);
        var random = new Random(18);
        var plan = Enumerable.Range(0, Pairs).Select(i => (Room: $"room-{i}", First: random.Next(3), Second: random.Next(3))).ToArray();
        var matched = 0;
        var crossNode = 0;
        using var gate = new SemaphoreSlim(24);
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(plan.Select(async pair =>
        {
            await gate.WaitAsync();
            try
            {
                await using var a = new RawMember();
                await using var b = new RawMember();
                var (x, y) = (nodes[pair.First], nodes[pair.Second]);
                var registered = RawMember.As<RegisteredPacket>(await a.RegisterAsync(pair.Room, x, Timeout));
                var bInfo = RawMember.As<PeerInfoPacket>(await b.RegisterAsync(pair.Room, y, Timeout));
                // a registered at x: its PeerInfo comes from x, whichever node b registered at.
                var aInfo = await a.ExpectAsync<PeerInfoPacket>(x, Timeout);

                Assert.Equal((PeerRole.Responder, b.Id, b.LocalEndPoint, registered.Token), (aInfo.Role, aInfo.OtherPeer, aInfo.OtherReflexiveAddress, aInfo.Token));
                Assert.Equal((PeerRole.Initiator, a.Id, a.LocalEndPoint), (bInfo.Role, bInfo.OtherPeer, bInfo.OtherReflexiveAddress));
                Interlocked.Increment(ref matched);
                if (pair.First != pair.Second)
                    Interlocked.Increment(ref crossNode);

                // Each Leave is followed by a KeepAlive to the same node: its "no such room" says the Leave was handled.
                a.Send(new LeavePacket(pair.Room, a.Id, a.Token), x);
                a.Send(new KeepAlivePacket(pair.Room, a.Id, a.Token), x);
                Assert.Equal(SignalingErrorCode.UnknownRoom, (await a.ExpectAsync<ErrorPacket>(x, Timeout)).Code);
                b.Send(new LeavePacket(pair.Room, b.Id, b.Token), y);
                b.Send(new KeepAlivePacket(pair.Room, b.Id, b.Token), y);
                Assert.Equal(SignalingErrorCode.UnknownRoom, (await b.ExpectAsync<ErrorPacket>(y, Timeout)).Code);
            }
            finally
            {
                gate.Release();
            }
        })).WaitAsync(PairsBound);

        Assert.Equal(Pairs, matched);
        Assert.InRange(crossNode, Pairs / 2, Pairs); // about two thirds registered their two members at two nodes
        Assert.Equal(Pairs, nodes.Nodes.Sum(n => n.Statistics.RoomsPaired));
        Assert.Equal(Pairs, nodes.Nodes.Sum(n => n.Statistics.RoomsCreated));
        Assert.Empty(await nodes.KeysAsync());
        Assert.True(clock.Elapsed < PairsBound, $"{Pairs} pairs took {clock.Elapsed}");
    }

    [RedisFact]
    public async Task ThreeNodes_MembersThatNeverLeave_ExpireFromRedis()
    {
        var ttl = TimeSpan.FromSeconds(5); // long enough for a loaded machine to register the pairs before the first expire
        await using var nodes = await RedisNodes.StartAsync(3, RedisNodes.Options with { RoomTtl = ttl, SweepInterval = TimeSpan.FromMilliseconds(200) });
        List<RawMember> members = [];
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var a = new RawMember();
                members.Add(a);
                RawMember.As<RegisteredPacket>(await a.RegisterAsync($"idle-{i}", nodes[i % 3], Timeout));
                if (i % 2 == 0)
                {
                    var b = new RawMember();
                    members.Add(b);
                    RawMember.As<PeerInfoPacket>(await b.RegisterAsync($"idle-{i}", nodes[(i + 1) % 3], Timeout));
                }
            }

            var nameplate = new RawMember();
            members.Add(nameplate);
            RawMember.As<RegisteredPacket>(await nameplate.RegisterAsync(SignalingCodec.AllocateNameplateRoom, nodes[1], Timeout));
            Assert.NotEmpty(await nodes.KeysAsync());

            // Redis expires the rooms by itself once the TTL has passed without traffic (nobody sends anything here).
            await Task.Delay(ttl);
            var deadline = DateTime.UtcNow + Timeout;
            IReadOnlyList<string> left;
            while ((left = await nodes.KeysAsync()).Count > 0 && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Empty(left);
        }
        finally
        {
            foreach (var member in members)
                await member.DisposeAsync();
        }
    }

    [RedisFact]
    public async Task TwoNodes_OneRoomRegisteredAtBothAtOnce_MatchesExactlyOnceAndRefusesAThirdAtEitherNode()
    {
        const int Rooms = 100;
        await using var nodes = await RedisNodes.StartAsync(3);
        var outcomes = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, Rooms).Select(async i =>
        {
            var room = $"race-{i}";
            await using var a = new RawMember();
            await using var b = new RawMember();
            await using var c = new RawMember();
            var (x, y) = (nodes[0], nodes[1]);
            // Cookies first, so the two Registers that count leave together and meet in Redis at the same moment.
            var cookieA = await a.CookieAsync(room, x, Timeout);
            var cookieB = await b.CookieAsync(room, y, Timeout);
            a.Send(new RegisterPacket(room, a.Id, [], cookieA), x);
            b.Send(new RegisterPacket(room, b.Id, [], cookieB), y);

            var aInfo = await PeerInfoAsync(a, x);
            var bInfo = await PeerInfoAsync(b, y);
            Assert.Equal(b.Id, aInfo.OtherPeer);
            Assert.Equal(a.Id, bInfo.OtherPeer);
            Assert.NotEqual(aInfo.Role, bInfo.Role);
            outcomes.Add($"{aInfo.Role}/{bInfo.Role}");

            // A third member is refused whichever node it asks.
            foreach (var node in new[] { nodes[0], nodes[1], nodes[2] })
            {
                var refused = RawMember.As<ErrorPacket>(await c.RegisterAsync(room, node, Timeout));
                Assert.Equal(SignalingErrorCode.RoomFull, refused.Code);
            }
        })).WaitAsync(PairsBound);

        Assert.Equal(Rooms, outcomes.Count);
        Assert.Equal(Rooms, nodes.Nodes.Sum(n => n.Statistics.RoomsPaired));
        Assert.Equal(Rooms, nodes.Nodes.Sum(n => n.Statistics.RoomsCreated));
        Assert.InRange(nodes.Nodes.Sum(n => n.Statistics.RefusedRoomFull), 3 * Rooms, 6 * Rooms); // more only for retransmitted Registers

        // A member that raced and lost got PeerInfo straight away; one that won got Registered first.
        static async Task<PeerInfoPacket> PeerInfoAsync(RawMember member, IPEndPoint node)
        {
            var packet = await member.ExpectAsync<SignalingPacket>(node, Timeout);
            return packet as PeerInfoPacket ?? (packet is RegisteredPacket ? await member.ExpectAsync<PeerInfoPacket>(node, Timeout) : throw new Xunit.Sdk.XunitException($"Unexpected {packet}"));
        }
    }

    [RedisFact]
    public async Task ThreeNodes_RoomsPerSource_AreCountedAcrossNodes()
    {
        await using var nodes = await RedisNodes.StartAsync(3, RedisNodes.Options with { MaxRoomsPerSource = 2 });
        await using var a = new RawMember();
        await using var b = new RawMember();
        await using var c = new RawMember();

        RawMember.As<RegisteredPacket>(await a.RegisterAsync("one", nodes[0], Timeout));
        RawMember.As<RegisteredPacket>(await b.RegisterAsync("two", nodes[1], Timeout));
        var refused = RawMember.As<ErrorPacket>(await c.RegisterAsync("three", nodes[2], Timeout));

        Assert.Equal(SignalingErrorCode.ServerFull, refused.Code);
        Assert.Contains("already has 2 rooms open", refused.Reason, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Nameplates_AllocatedAtThreeNodesAtOnce_AreUniqueAndBurnedAtEveryNode()
    {
        await using var nodes = await RedisNodes.StartAsync(3);
        var allocators = Enumerable.Range(0, 60).Select(_ => new RawMember()).ToArray();
        try
        {
            var answers = await Task.WhenAll(allocators.Select((member, i) => member.RegisterAsync(SignalingCodec.AllocateNameplateRoom, nodes[i % 3], Timeout)));
            var numbers = answers.Select(answer => RawMember.As<RegisteredPacket>(answer).Nameplate).ToArray();

            Assert.DoesNotContain((ushort)0, numbers);
            Assert.Equal(numbers.Length, numbers.Distinct().Count());
            Assert.Equal(Enumerable.Range(1, 60).Select(n => (ushort)n), numbers.Order()); // the smallest free ones, none skipped for good

            // A retransmitted request for a nameplate gets the same number again, at its node.
            var again = RawMember.As<RegisteredPacket>(await allocators[4].RegisterAsync(SignalingCodec.AllocateNameplateRoom, nodes[1], Timeout));
            Assert.Equal(numbers[4], again.Nameplate);

            // Paired through another node, the nameplate is burned at every node.
            var plate = SignalingCodec.NameplateRoom(numbers[0]);
            await using var joiner = new RawMember();
            RawMember.As<PeerInfoPacket>(await joiner.RegisterAsync(plate, nodes[1], Timeout));
            await allocators[0].ExpectAsync<PeerInfoPacket>(nodes[0], Timeout);
            foreach (var node in new[] { nodes[0], nodes[1], nodes[2] })
            {
                await using var guesser = new RawMember();
                var refused = RawMember.As<ErrorPacket>(await guesser.RegisterAsync(plate, node, Timeout));
                Assert.Equal(SignalingErrorCode.UnknownNameplate, refused.Code);
            }

            // After its first member leaves it stays burned: nobody else may use its number while the room lasts.
            allocators[0].Send(new LeavePacket(plate, allocators[0].Id, allocators[0].Token), nodes[0]);
            await using var late = new RawMember();
            var lateRefusal = RawMember.As<ErrorPacket>(await late.RegisterAsync(plate, nodes[2], Timeout));
            Assert.Equal(SignalingErrorCode.UnknownNameplate, lateRefusal.Code);
        }
        finally
        {
            foreach (var member in allocators)
                await member.DisposeAsync();
        }
    }

    [RedisFact]
    public async Task Relay_AtANodeThatIsNotTheRoomsHome_IsRedirectedThereAndThenRelayed()
    {
        await using var nodes = await RedisNodes.StartAsync(2);
        await using var a = new RawMember();
        await using var b = new RawMember();
        var (home, other) = (nodes[0], nodes[1]);
        RawMember.As<RegisteredPacket>(await a.RegisterAsync("relayed", home, Timeout)); // a opens the room: its home is node 0
        RawMember.As<PeerInfoPacket>(await b.RegisterAsync("relayed", other, Timeout));
        await a.ExpectAsync<PeerInfoPacket>(home, Timeout);

        // A Relay without b's token draws nothing (the Redirect that follows answers the next one, with it).
        b.Send(new RelayPacket(b.Id, new MemberToken(b.Token.High ^ 1, b.Token.Low), new byte[] { 1, 2, 3 }), other);
        b.Send(new RelayPacket(b.Id, b.Token, new byte[] { 1, 2, 3 }), other);
        var redirect = await b.ExpectAsync<RedirectPacket>(other, Timeout);
        Assert.Equal(1, nodes.Nodes[1].Statistics.TokenRejected);
        Assert.Equal((b.Id, b.Token, home), (redirect.Peer, redirect.Token, redirect.HomeNode));
        Assert.Equal(1, nodes.Nodes[1].Statistics.RelayRedirected);
        Assert.Equal(0, nodes.Nodes[1].Statistics.RelayPacketsForwarded);

        // Following it: a matched KeepAlive with "answer wanted" at the home node, answered with Registered, then the relay.
        b.Send(new KeepAlivePacket("relayed", b.Id, b.Token, Matched: true, AnswerWanted: true), home);
        var alive = await b.ExpectAsync<RegisteredPacket>(home, Timeout);
        Assert.Equal(b.Token, alive.Token);
        b.Send(new RelayPacket(b.Id, b.Token, new byte[] { 4, 5, 6 }), home);
        var relayed = await a.ExpectAsync<RelayedPacket>(home, Timeout);
        Assert.Equal((a.Token, b.Id), (relayed.Token, relayed.From));
        Assert.Equal(new byte[] { 4, 5, 6 }, relayed.Payload.ToArray());

        a.Send(new RelayPacket(a.Id, a.Token, new byte[] { 7 }), home);
        var back = await b.ExpectAsync<RelayedPacket>(home, Timeout);
        Assert.Equal((b.Token, a.Id), (back.Token, back.From));
        Assert.Equal(2, nodes.Nodes[0].Statistics.RelayPacketsForwarded);
    }

    [RedisFact]
    public async Task Rejoin_AtAnotherNodeWithTheToken_MovesTheMemberAndKeepsItsToken()
    {
        await using var nodes = await RedisNodes.StartAsync(2);
        await using var a = new RawMember();
        await using var b = new RawMember();
        RawMember.As<RegisteredPacket>(await a.RegisterAsync("rejoined", nodes[0], Timeout));
        var token = a.Token;

        // The same socket at another node, with its token: the same membership, answered as a retransmission.
        var again = RawMember.As<RegisteredPacket>(await a.RegisterAsync("rejoined", nodes[1], Timeout, rejoin: token));
        Assert.Equal(token, again.Token);

        // Its id from another socket with a wrong token moves nothing, at either node: the thief's next answer is the
        // one to its own probe, and the member stays where it is.
        await using (var thief = new RawMember(a.Id))
        {
            foreach (var node in new[] { nodes[0], nodes[1] })
            {
                var cookie = await thief.CookieAsync("probe", node, Timeout);
                thief.Send(new RegisterPacket("rejoined", a.Id, [], cookie, new MemberToken(token.High, token.Low ^ 1)), node);
                thief.Send(new RegisterPacket("probe-" + node.Port, PeerId.New(), [], cookie), node);
                var answer = RawMember.As<RegisteredPacket>(await thief.ExpectAsync<SignalingPacket>(node, Timeout));
                Assert.NotEqual(a.Id, answer.Peer); // the probe's answer: the forged rejoin drew none
            }

            Assert.Equal(2, nodes.Nodes.Sum(n => n.Statistics.TokenRejected));
        }

        // Its peer's PeerInfo now comes from the node it moved to.
        RawMember.As<PeerInfoPacket>(await b.RegisterAsync("rejoined", nodes[0], Timeout));
        var info = await a.ExpectAsync<PeerInfoPacket>(nodes[1], Timeout);
        Assert.Equal((token, b.Id), (info.Token, info.OtherPeer));
    }
}
