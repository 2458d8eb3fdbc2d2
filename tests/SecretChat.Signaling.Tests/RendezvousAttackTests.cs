using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Reactive.Testing;
using SecretChat.Security;
using SecretChat.Transport.Stun;
using Xunit.Abstractions;

namespace SecretChat.Signaling.Tests;

/// <summary>
/// Strangers against the signaling server, in virtual time without sockets: each test performs an attack from
/// issue 14 (a forged source is just another source address here) and shows it fails.
/// </summary>
public class RendezvousAttackTests(ITestOutputHelper output)
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Mallory = new(IPAddress.Parse("192.0.2.66"), 6666);
    private static readonly IPEndPoint Victim = new(IPAddress.Parse("192.0.2.99"), 53);
    private static readonly PeerId AliceId = new(1), BobId = new(2), MalloryId = new(66);

    private sealed class Harness
    {
        public Harness(SignalingServerOptions? options = null, ILogger? logger = null) =>
            Rendezvous = new Rendezvous(options ?? new SignalingServerOptions(), logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Scheduler, (bytes, to) => Sent.Add((to, bytes)));

        public TestScheduler Scheduler { get; } = new();

        public Rendezvous Rendezvous { get; }

        public SignalingStatistics Statistics => Rendezvous.Statistics;

        public List<(IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

        public Dictionary<PeerId, MemberToken> Tokens { get; } = [];

        /// <summary>As a well-behaved client sends it: its token added, the cookie round trip done.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Client(SignalingPacket packet, IPEndPoint from)
        {
            packet = ServerHarness.WithToken(packet, Tokens);
            var replies = Raw(SignalingCodec.Encode(packet), from);
            return ServerHarness.WithCookie(packet, replies) is { } proven ? Raw(SignalingCodec.Encode(proven), from) : replies;
        }

        /// <summary>Exactly these bytes from <paramref name="from"/>: what an attacker sends.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Raw(byte[] datagram, IPEndPoint from)
        {
            Sent.Clear();
            Rendezvous.Receive(datagram, from);
            var replies = Sent.Where(s => SignalingCodec.IsSignaling(s.Bytes)).Select(s => (s.To, SignalingCodec.Decode(s.Bytes))).ToList();
            ServerHarness.Remember(replies.Select(r => r.Item2), Tokens);
            return replies;
        }

        public List<(IPEndPoint To, SignalingPacket Packet)> Raw(SignalingPacket packet, IPEndPoint from) => Raw(SignalingCodec.Encode(packet), from);

        public Harness Paired(string room = "x")
        {
            Client(new RegisterPacket(room, AliceId, []), Alice);
            Client(new RegisterPacket(room, BobId, []), Bob);
            return this;
        }

        /// <summary>Whether a relay from Bob still reaches Alice at <paramref name="at"/> (and only there).</summary>
        public bool BobReachesAliceAt(IPEndPoint at) =>
            Client(new RelayPacket(BobId, default, new byte[] { 7 }), Bob) is [(var to, RelayedPacket { From: var from })] && to.Equals(at) && from == BobId;
    }

    public static TheoryData<string> WrongTokens() => ["none", "random"];

    private static MemberToken Wrong(string kind) => kind == "none" ? default : MemberToken.New();

    [Theory]
    [MemberData(nameof(WrongTokens))]
    public void KeepAlive_WithoutTheRightToken_ChangesNothing(string token)
    {
        var h = new Harness(new SignalingServerOptions { RoomTtl = TimeSpan.FromSeconds(60), SweepInterval = TimeSpan.FromSeconds(5) }).Paired();

        // From the attacker's own address (to move Alice there) and forged as Alice's (to hold the room open), matched and not.
        var replies = h.Raw(new KeepAlivePacket("x", AliceId, Wrong(token)), Mallory)
            .Concat(h.Raw(new KeepAlivePacket("x", AliceId, Wrong(token), Matched: true), Mallory))
            .Concat(h.Raw(new KeepAlivePacket("x", AliceId, Wrong(token)), Alice))
            .ToList();

        Assert.Empty(replies); // no PeerInfo (Bob's addresses) to the attacker, nothing reflected
        Assert.Equal(3, h.Statistics.TokenRejected);
        Assert.True(h.BobReachesAliceAt(Alice)); // Alice was not moved
        for (var t = 10; t <= 70; t += 10)
        {
            h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(t).Ticks);
            h.Raw(new KeepAlivePacket("x", AliceId, Wrong(token), Matched: true), Alice);
        }

        Assert.Equal(1, h.Statistics.RoomsExpired); // and the attacker's keepalives did not keep the room alive
    }

    [Theory]
    [MemberData(nameof(WrongTokens))]
    public void Leave_WithoutTheRightToken_ChangesNothing(string token)
    {
        var h = new Harness().Paired();

        var replies = h.Raw(new LeavePacket("x", AliceId, Wrong(token)), Alice);

        Assert.Empty(replies);
        Assert.Equal(1, h.Statistics.TokenRejected);
        Assert.True(h.BobReachesAliceAt(Alice));
        Assert.Equal(1, h.Statistics.OpenRooms);
    }

    [Theory]
    [MemberData(nameof(WrongTokens))]
    public void Relay_WithoutTheRightToken_IsNotForwarded(string token)
    {
        var h = new Harness().Paired();

        var forgedAsAlice = h.Raw(new RelayPacket(AliceId, Wrong(token), new byte[] { 1, 2, 3 }), Alice);

        Assert.Empty(forgedAsAlice); // nothing injected into Bob's session, nothing answered
        Assert.Equal(1, h.Statistics.TokenRejected);
        Assert.Equal(0, h.Statistics.RelayPacketsForwarded);
        Assert.Single(h.Client(new RelayPacket(AliceId, default, new byte[] { 1 }), Alice)); // the real Alice still relays
    }

    [Fact]
    public void Register_MembersIdFromAnotherAddress_DoesNotTakeItsPlace()
    {
        var h = new Harness().Paired();

        // Mallory saw the room and Alice's id in the clear; she proves her own address and registers as Alice.
        var replies = h.Client(new RegisterPacket("x", AliceId, []), Mallory);

        Assert.Empty(replies); // no PeerInfo with Bob's addresses, no token
        Assert.Equal(1, h.Statistics.TokenRejected);
        Assert.True(h.BobReachesAliceAt(Alice));
    }

    [Fact]
    public void Register_FromAForgedSource_CreatesNothingAndDrawsOneReplyNoLargerThanTheRequest()
    {
        var h = new Harness();
        var register = SignalingCodec.Encode(new RegisterPacket("x", MalloryId, []));
        // A cookie Mallory really got for her own address, replayed from the victim's.
        var ownCookie = Assert.IsType<CookiePacket>(Assert.Single(h.Raw(register, Mallory)).Packet).Cookie;
        var withStolenCookie = SignalingCodec.Encode(new RegisterPacket("x", MalloryId, [], ownCookie));

        h.Sent.Clear();
        h.Rendezvous.Receive(register, Victim);
        var first = h.Sent.ToList();
        h.Sent.Clear();
        h.Rendezvous.Receive(withStolenCookie, Victim);
        var second = h.Sent.ToList();

        Assert.Equal(0, h.Statistics.OpenRooms);
        Assert.Equal(0, h.Statistics.RoomsCreated);
        foreach (var (replies, request) in new[] { (first, register), (second, withStolenCookie) })
        {
            var (to, bytes) = Assert.Single(replies);
            Assert.Equal(Victim, to);
            Assert.IsType<CookiePacket>(SignalingCodec.Decode(bytes));
            Assert.True(bytes.Length <= request.Length, $"{bytes.Length} bytes answered {request.Length}");
        }
    }

    [Fact]
    public void Register_WithTheCookie_OpensTheRoomAfterExactlyOneExtraRoundTrip()
    {
        var h = new Harness();

        var cookie = Assert.IsType<CookiePacket>(Assert.Single(h.Raw(new RegisterPacket("x", AliceId, []), Alice)).Packet);
        var registered = h.Raw(new RegisterPacket("x", AliceId, [], cookie.Cookie), Alice);

        Assert.Equal(AliceId, cookie.Peer);
        Assert.IsType<RegisteredPacket>(Assert.Single(registered).Packet);
        Assert.Equal(1, h.Statistics.CookiesSent);
        Assert.Equal(1, h.Statistics.OpenRooms);
    }

    [Fact]
    public void Cookie_FromThePreviousRotationIsAccepted_OlderOnesAreNot()
    {
        var h = new Harness(new SignalingServerOptions { CookieRotation = TimeSpan.FromMinutes(2), RoomTtl = TimeSpan.FromHours(1) });
        var cookie = Assert.IsType<CookiePacket>(Assert.Single(h.Raw(new RegisterPacket("a", AliceId, []), Alice)).Packet).Cookie;

        h.Scheduler.AdvanceTo(TimeSpan.FromMinutes(3).Ticks); // one rotation later: the previous secret still counts
        Assert.IsType<RegisteredPacket>(Assert.Single(h.Raw(new RegisterPacket("a", AliceId, [], cookie), Alice)).Packet);
        h.Scheduler.AdvanceTo(TimeSpan.FromMinutes(5).Ticks); // two rotations later: gone
        Assert.IsType<CookiePacket>(Assert.Single(h.Raw(new RegisterPacket("b", BobId, [], cookie), Alice)).Packet);
        Assert.Equal(1, h.Statistics.OpenRooms);
    }

    [Fact]
    public void KeepAlive_MemberFromANewAddress_MovesOnlyWithACookieForIt()
    {
        var h = new Harness().Paired();
        var rebound = new IPEndPoint(Alice.Address, 40999);
        var keepAlive = SignalingCodec.Encode(new KeepAlivePacket("x", AliceId, h.Tokens[AliceId], Matched: true));

        // The token alone (say, a member that forges a victim's address as its own) does not move the relay there.
        h.Sent.Clear();
        h.Rendezvous.Receive(keepAlive, Victim);
        var (to, bytes) = Assert.Single(h.Sent);
        Assert.Equal(Victim, to);
        Assert.IsType<CookiePacket>(SignalingCodec.Decode(bytes));
        Assert.True(bytes.Length <= keepAlive.Length);
        Assert.True(h.BobReachesAliceAt(Alice));

        // A NAT that rebound: the client answers the cookie, and the relay follows.
        Assert.Empty(h.Client(new KeepAlivePacket("x", AliceId, default, Matched: true), rebound));
        Assert.True(h.BobReachesAliceAt(rebound));
    }

    [Fact]
    public void Amplification_EveryKindOfPacketFromAnUnprovenSource_IsAtMostOneInBytes()
    {
        var h = new Harness().Paired();
        var id = StunTransactionId.New();
        var v1Register = Convert.FromHexString("4001" + "0a" + Convert.ToHexString("blue-otter"u8) + "0000000000000001" + "01" + "04c0a8010a9c41");
        var requests = new List<(string Kind, byte[] Bytes)>
        {
            ("Register without a cookie", SignalingCodec.Encode(new RegisterPacket("y", MalloryId, []))),
            ("Register with a wrong cookie", SignalingCodec.Encode(new RegisterPacket("y", MalloryId, [], new AddressCookie(1, 2)))),
            ("Register into a full room", SignalingCodec.Encode(new RegisterPacket("x", MalloryId, []))),
            ("Register, shortest room", SignalingCodec.Encode(new RegisterPacket("z", MalloryId, []))),
            ("KeepAlive for no room", SignalingCodec.Encode(new KeepAlivePacket("nowhere", MalloryId, default))),
            ("KeepAlive, wrong token", SignalingCodec.Encode(new KeepAlivePacket("x", AliceId, MemberToken.New()))),
            ("KeepAlive, member's token from elsewhere", SignalingCodec.Encode(new KeepAlivePacket("x", AliceId, h.Tokens[AliceId]))),
            ("Leave", SignalingCodec.Encode(new LeavePacket("x", AliceId, MemberToken.New()))),
            ("Relay, wrong token", SignalingCodec.Encode(new RelayPacket(AliceId, MemberToken.New(), new byte[10]))),
            ("Relay, no room", SignalingCodec.Encode(new RelayPacket(AliceId, default, new byte[10]))),
            ("Relayed (wrong direction)", SignalingCodec.Encode(new RelayedPacket(default, AliceId, new byte[10]))),
            ("version-1 Register", v1Register),
            ("version 3", [0x40, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("garbage in the signaling range", [0x45, 0x02, 0xFF]),
            ("STUN, bare", new StunMessageBuilder(StunMessageType.BindingRequest, id).ToArray()),
            ("STUN, fingerprint", new StunMessageBuilder(StunMessageType.BindingRequest, id).AddFingerprint().ToArray()),
            ("STUN, netcheck's", ServerHarness.BindingRequest(id)),
            ("STUN, other method", new StunMessageBuilder(new StunMessageType(0x003, StunClass.Request), id).ToArray()),
        };
        long bytesIn = 0, bytesOut = 0;

        // Each kind from a fresh unproven source (IPv4 and IPv6), then all of them again and again from one, past its rate limit.
        var sources = Enumerable.Range(0, requests.Count).Select(i => new IPEndPoint(IPAddress.Parse($"192.0.2.{100 + i}"), 1000 + i))
            .Concat(Enumerable.Range(0, requests.Count).Select(i => new IPEndPoint(IPAddress.Parse($"2001:db8:{i:x}::1"), 1000 + i)))
            .ToList();
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < requests.Count; i++)
                Send(requests[i], sources[(round * requests.Count) + i]);
        }

        for (var i = 0; i < 10 * requests.Count; i++)
            Send(requests[i % requests.Count], Victim);

        output.WriteLine($"{bytesIn} bytes in, {bytesOut} bytes out: amplification {(double)bytesOut / bytesIn:0.000}");
        Assert.True(bytesOut <= bytesIn, $"{bytesOut} bytes out for {bytesIn} in");
        Assert.True(h.Statistics.RateLimitedDropped > 0); // the last part did reach the rate limit
        Assert.Equal(1, h.Statistics.OpenRooms);

        void Send((string Kind, byte[] Bytes) request, IPEndPoint from)
        {
            h.Sent.Clear();
            h.Rendezvous.Receive(request.Bytes, from);
            var answered = h.Sent.Sum(s => s.Bytes.Length);
            Assert.True(answered <= request.Bytes.Length, $"{request.Kind}: {answered} bytes answered {request.Bytes.Length}");
            Assert.All(h.Sent, s => Assert.Equal(from, s.To)); // nothing sent anywhere else (no member is reached)
            bytesIn += request.Bytes.Length;
            bytesOut += answered;
        }
    }

    [Fact]
    public void Garbage_TenTimesTheLimitFromAMembersAddress_DoesNotLockTheMemberOut()
    {
        var options = new SignalingServerOptions { RatePerSecond = 10, RateBurst = 20, RoomTtl = TimeSpan.FromSeconds(60) };
        var h = new Harness(options).Paired();
        var aliceToken = h.Tokens[AliceId];
        var relayed = 0;
        var keptAlive = 0;

        // 100 garbage datagrams a second forged as Alice's address for 90 s (10x the limit), while Alice sends a KeepAlive
        // every 5 s (each must be answered) and relays 10 datagrams a second.
        for (var ms = 0; ms < 90_000; ms += 10)
        {
            h.Scheduler.AdvanceTo(TimeSpan.FromMilliseconds(ms).Ticks);
            h.Raw([0x45, 0x02, (byte)ms], Alice);
            h.Raw(new KeepAlivePacket("x", AliceId, MemberToken.New()), Alice); // a wrong token is garbage too
            if (ms % 100 == 0 && h.Raw(new RelayPacket(AliceId, aliceToken, new byte[] { 1 }), Alice) is [(var to, RelayedPacket)] && to.Equals(Bob))
                relayed++;
            if (ms % 5000 == 0 && h.Raw(new KeepAlivePacket("x", AliceId, aliceToken), Alice) is [(var back, PeerInfoPacket)] && back.Equals(Alice))
                keptAlive++;
        }

        Assert.Equal(900, relayed);   // every relay passed
        Assert.Equal(18, keptAlive);  // every KeepAlive was answered
        Assert.Equal(0, h.Statistics.RoomsExpired);
        Assert.True(h.Statistics.RateLimitedDropped > 90 * 150, $"{h.Statistics.RateLimitedDropped} dropped"); // while the garbage hit the limit
    }

    [Fact]
    public void RateLimit_IPv6_CountsOneBucketPerSlash64()
    {
        var h = new Harness(new SignalingServerOptions { RatePerSecond = 1, RateBurst = 5 });
        var keepAlive = SignalingCodec.Encode(new KeepAlivePacket("nowhere", MalloryId, default));

        // A host that owns 2001:db8:1::/64 sends from a new address each time.
        for (var i = 1; i <= 10; i++)
            h.Rendezvous.Receive(keepAlive, new IPEndPoint(IPAddress.Parse($"2001:db8:1:0:{i:x}::1"), 5000));

        Assert.Equal(5, h.Statistics.RateLimitedDropped);
        Assert.Single(h.Raw(keepAlive, new IPEndPoint(IPAddress.Parse("2001:db8:2::1"), 5000))); // the next /64 is another source
        Assert.Equal(5, h.Statistics.RateLimitedDropped);
    }

    [Fact]
    public void Register_FloodFromManySources_CannotFillAllRooms()
    {
        var options = new SignalingServerOptions { MaxRooms = 200, MaxRoomsPerSource = 8, RatePerSecond = 1000, RateBurst = 1000 };
        var h = new Harness(options);

        // 20 attacking addresses (each proves it receives there: cookies stop only forged sources) open 50 rooms each.
        for (var source = 0; source < 20; source++)
        {
            var from = new IPEndPoint(IPAddress.Parse($"198.18.0.{source + 1}"), 40000 + source);
            for (var room = 0; room < 50; room++)
                h.Client(new RegisterPacket($"flood-{source}-{room}", new PeerId((ulong)((source * 100) + room + 1000)), []), from);
        }

        Assert.Equal(20 * 8, h.Statistics.OpenRooms);
        Assert.Equal(20 * 42, h.Statistics.RefusedRoomsPerSource);
        var honest = h.Client(new RegisterPacket("blue-otter", AliceId, []), Alice);
        Assert.IsType<RegisteredPacket>(Assert.Single(honest).Packet); // an honest newcomer still gets a room
    }

    [Fact]
    public void Register_ServerFull_IsCountedAndItsLogLinesAreRateLimited()
    {
        var log = new CountingLogger();
        var h = new Harness(new SignalingServerOptions { MaxRooms = 1, RatePerSecond = 1000, RateBurst = 1000, SweepInterval = TimeSpan.FromSeconds(5) }, log);
        h.Client(new RegisterPacket("only", AliceId, []), Alice);

        for (var i = 0; i < 100; i++)
        {
            var refused = h.Client(new RegisterPacket($"r{i}", new PeerId((ulong)i + 100), []), new IPEndPoint(IPAddress.Parse("198.18.1.1"), 1000 + i));
            Assert.Equal(SignalingErrorCode.ServerFull, Assert.IsType<ErrorPacket>(Assert.Single(refused).Packet).Code);
        }

        Assert.Equal(100, h.Statistics.RefusedServerFull);
        Assert.Equal(1, log.Warnings); // one line for the first refusal...
        h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(5).Ticks);
        Assert.Equal(2, log.Warnings); // ...and one that sums up the 99 others at the next sweep
        Assert.Contains("99 more refusals (server full)", log.Last);
    }

    private sealed class CountingLogger : ILogger
    {
        public int Warnings { get; private set; }

        public string Last { get; private set; } = "";

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning) return;
            Warnings++;
            Last = formatter(state, exception);
        }
    }
}
