using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>The server's relay in virtual time, without sockets: membership, limits, notices and room liveness.</summary>
public class RendezvousRelayTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Carol = new(IPAddress.Parse("192.0.2.3"), 60003);
    private static readonly IPEndPoint Dave = new(IPAddress.Parse("192.0.2.4"), 60004);
    private static readonly PeerId AliceId = new(1), BobId = new(2), CarolId = new(3), DaveId = new(4);

    private sealed class Harness
    {
        public Harness(SignalingServerOptions? options = null)
        {
            Rendezvous = new Rendezvous(options ?? new SignalingServerOptions(), NullLogger.Instance, Scheduler, (bytes, to) => Sent.Add((to, bytes)));
        }

        public TestScheduler Scheduler { get; } = new();

        public Rendezvous Rendezvous { get; }

        public SignalingStatistics Statistics => Rendezvous.Statistics;

        public List<(IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

        /// <summary>The token the server gave each peer id.</summary>
        public Dictionary<PeerId, MemberToken> Tokens { get; } = [];

        /// <summary>As a client sends it: with its peer's token (when it has none) and through the cookie round trip.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Receive(SignalingPacket packet, IPEndPoint from)
        {
            packet = ServerHarness.WithToken(packet, Tokens);
            var replies = Exactly(packet, from);
            return ServerHarness.WithCookie(packet, replies) is { } proven ? Exactly(proven, from) : replies;
        }

        /// <summary>Exactly this packet, no token or cookie added.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Exactly(SignalingPacket packet, IPEndPoint from)
        {
            Sent.Clear();
            Rendezvous.Receive(SignalingCodec.Encode(packet), from);
            var replies = Sent.Select(s => (s.To, SignalingCodec.Decode(s.Bytes))).ToList();
            ServerHarness.Remember(replies.Select(r => r.Item2), Tokens);
            return replies;
        }

        /// <summary>Alice and Bob registered and introduced in <paramref name="room"/>.</summary>
        public Harness Paired(string room = "x")
        {
            Receive(new RegisterPacket(room, AliceId, []), Alice);
            Receive(new RegisterPacket(room, BobId, []), Bob);
            return this;
        }

        public void At(double seconds) => Scheduler.AdvanceTo(TimeSpan.FromSeconds(seconds).Ticks);
    }

    private static byte[] Payload(int length, byte fill = 0xA5) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public void Relay_BetweenMembers_IsForwardedBothWaysWithTheSendersId()
    {
        var h = new Harness().Paired();

        var toBob = h.Receive(new RelayPacket(AliceId, default, new byte[] { 1, 2, 3 }), Alice);
        var toAlice = h.Receive(new RelayPacket(BobId, default, new byte[] { 4, 5 }), Bob);

        var (bobAddress, forBob) = Assert.Single(toBob);
        Assert.Equal(Bob, bobAddress);
        Assert.Equal(AliceId, Assert.IsType<RelayedPacket>(forBob).From);
        Assert.Equal([1, 2, 3], ((RelayedPacket)forBob).Payload.ToArray());
        var (aliceAddress, forAlice) = Assert.Single(toAlice);
        Assert.Equal(Alice, aliceAddress);
        Assert.Equal([4, 5], Assert.IsType<RelayedPacket>(forAlice).Payload.ToArray());
        Assert.Equal(2, h.Statistics.RelayPacketsForwarded);
        Assert.Equal(5, h.Statistics.RelayBytesForwarded);
    }

    [Fact]
    public void Relay_FromAnAddressThatIsNotTheMembers_IsDroppedUnansweredAndCounted()
    {
        var h = new Harness().Paired();

        var otherPort = h.Receive(new RelayPacket(AliceId, default, new byte[] { 1 }), new IPEndPoint(Alice.Address, Alice.Port + 1));
        var otherHost = h.Receive(new RelayPacket(AliceId, default, new byte[] { 1 }), Carol);
        var unknownId = h.Receive(new RelayPacket(CarolId, default, new byte[] { 1 }), Carol);
        var unknownIdFromAMember = h.Receive(new RelayPacket(DaveId, default, new byte[] { 1 }), Alice);

        Assert.Empty(otherPort.Concat(otherHost).Concat(unknownId).Concat(unknownIdFromAMember)); // no answer: a spoofed source must not make us a reflector
        Assert.Equal(4, h.Statistics.RelayDroppedNotMember);
        Assert.Equal(0, h.Statistics.RelayPacketsForwarded);
    }

    [Fact]
    public void Relay_MemberUsingAnotherRoomsMemberId_IsRefusedAndCounted()
    {
        var h = new Harness().Paired("a");
        h.Receive(new RegisterPacket("b", CarolId, []), Carol);
        h.Receive(new RegisterPacket("b", DaveId, []), Dave);

        var asCarol = h.Receive(new RelayPacket(CarolId, default, new byte[] { 1 }), Alice);                     // Carol's id (and token), Alice's address
        var asCarolNoToken = h.Exactly(new RelayPacket(CarolId, MemberToken.New(), new byte[] { 1 }), Alice);   // without it

        Assert.Empty(asCarol);
        Assert.Empty(asCarolNoToken);
        Assert.Equal(2, h.Statistics.RelayDroppedNotMember);
        Assert.Single(h.Receive(new RelayPacket(AliceId, default, new byte[] { 1 }), Alice)); // her own room still works
    }

    [Fact]
    public void Register_MemberIdInAnotherRoom_MovesItFromItsOwnAddressOnly()
    {
        var h = new Harness().Paired("a");

        var fromElsewhere = h.Receive(new RegisterPacket("b", AliceId, []), Carol);
        var fromAlice = h.Receive(new RegisterPacket("b", AliceId, []), Alice);

        Assert.Empty(fromElsewhere); // the id is Alice's: nobody else takes it into another room
        Assert.IsType<RegisteredPacket>(Assert.Single(fromAlice).Packet); // Alice herself changes rooms: she leaves "a"
        Assert.Equal(2, h.Statistics.OpenRooms);
        Assert.Empty(h.Receive(new RelayPacket(BobId, default, new byte[] { 1 }), Bob)); // Bob is alone in "a" now
        Assert.Equal(1, h.Statistics.RelayDroppedNoPeer);
    }

    [Fact]
    public void Relay_BeforeTheRoomHasTwoPeers_IsDroppedAndCounted()
    {
        var h = new Harness();
        h.Receive(new RegisterPacket("x", AliceId, []), Alice);

        Assert.Empty(h.Receive(new RelayPacket(AliceId, default, new byte[] { 1 }), Alice));

        Assert.Equal(1, h.Statistics.RelayDroppedNoPeer);
        h.Receive(new RegisterPacket("x", BobId, []), Bob);
        h.Receive(new LeavePacket("x", BobId, default), Bob);
        Assert.Empty(h.Receive(new RelayPacket(AliceId, default, new byte[] { 1 }), Alice)); // and after the other left
        Assert.Equal(2, h.Statistics.RelayDroppedNoPeer);
    }

    [Fact]
    public void Relay_OverTheRate_IsDroppedCountedAndNoticedAtMostOncePerSecond()
    {
        var h = new Harness(new SignalingServerOptions { RelayBytesPerSecond = 10_000, RelayBurstBytes = 10_000 }).Paired();
        var notices = new List<ErrorPacket>();
        var forwarded = 0;

        for (var i = 0; i < 20; i++) // 20 kB at once: the 10 kB burst passes, the rest is over the rate
        {
            foreach (var (to, packet) in h.Receive(new RelayPacket(AliceId, default, Payload(1000)), Alice))
            {
                if (packet is ErrorPacket error) { Assert.Equal(Alice, to); notices.Add(error); }
                else forwarded++;
            }
        }

        Assert.Equal(10, forwarded);
        Assert.Equal(10, h.Statistics.RelayDroppedRate);
        var notice = Assert.Single(notices);
        Assert.Equal(new ErrorPacket(AliceId, SignalingErrorCode.RelayLimit, "the relay of room 'x' is limited to 9.77 KiB/s (bursts of 9.77 KiB); slow down"), notice);

        h.At(0.5); // 5 kB refilled
        var halfSecond = Enumerable.Range(0, 6).SelectMany(_ => h.Receive(new RelayPacket(AliceId, default, Payload(1000)), Alice)).ToList();
        Assert.Equal(5, halfSecond.Count(r => r.Packet is RelayedPacket));
        Assert.DoesNotContain(halfSecond, r => r.Packet is ErrorPacket); // still within the second since the notice
        h.At(1.0);
        var nextSecond = Enumerable.Range(0, 6).SelectMany(_ => h.Receive(new RelayPacket(AliceId, default, Payload(1000)), Alice)).ToList();
        Assert.Single(nextSecond, r => r.Packet is ErrorPacket);
        Assert.Equal(2, h.Statistics.RelayNoticesSent);
    }

    [Fact]
    public void Relay_BeyondTheRoomsTotal_IsDroppedCountedAndNoticedNamingTheAllowance()
    {
        var h = new Harness(new SignalingServerOptions { RelayTotalBytes = 3 * 1024 * 1024, RelayBurstBytes = 4 * 1024 * 1024 }).Paired();
        var sent = 0;
        while (h.Receive(new RelayPacket(sent % 2 == 0 ? AliceId : BobId, default, Payload(1024)), sent % 2 == 0 ? Alice : Bob).Single().Packet is RelayedPacket)
            sent++;

        Assert.Equal(3 * 1024, sent); // both directions count against one allowance
        var notice = h.Sent.Select(s => SignalingCodec.Decode(s.Bytes)).OfType<ErrorPacket>().Single();
        Assert.Equal(SignalingErrorCode.RelayLimit, notice.Code);
        Assert.Equal("room 'x' has relayed its 3 MiB allowance; nothing more is relayed for it", notice.Reason);
        Assert.Equal(1, h.Statistics.RelayDroppedTotal);
        h.At(30); // time refills the rate, not the total
        Assert.IsType<ErrorPacket>(Assert.Single(h.Receive(new RelayPacket(AliceId, default, Payload(1)), Alice)).Packet);
        Assert.Equal(2, h.Statistics.RelayDroppedTotal);
    }

    [Fact]
    public void Relay_OverTheSizeCap_IsDroppedAndNoticed()
    {
        var h = new Harness(new SignalingServerOptions { MaxRelayPayloadBytes = 500 }).Paired();

        var replies = h.Receive(new RelayPacket(AliceId, default, Payload(501)), Alice);

        var notice = Assert.IsType<ErrorPacket>(Assert.Single(replies).Packet);
        Assert.Equal("the relay of room 'x' takes datagrams of at most 500 bytes; this one had 501", notice.Reason);
        Assert.Equal(1, h.Statistics.RelayDroppedTooLarge);
        Assert.IsType<RelayedPacket>(Assert.Single(h.Receive(new RelayPacket(AliceId, default, Payload(500)), Alice)).Packet);
    }

    [Fact]
    public void Relay_SwitchedOff_IsRefusedWithItsOwnCode()
    {
        var h = new Harness(new SignalingServerOptions { RelayEnabled = false }).Paired();

        var replies = h.Receive(new RelayPacket(AliceId, default, Payload(10)), Alice);
        var again = h.Receive(new RelayPacket(AliceId, default, Payload(10)), Alice);

        var notice = Assert.IsType<ErrorPacket>(Assert.Single(replies).Packet);
        Assert.Equal(SignalingErrorCode.RelayDisabled, notice.Code);
        Assert.Empty(again);
        Assert.Equal(2, h.Statistics.RelayDroppedDisabled);
    }

    [Fact]
    public void Relay_Traffic_KeepsTheRoomAlivePastItsIdleTtl()
    {
        var h = new Harness(new SignalingServerOptions { RoomTtl = TimeSpan.FromSeconds(60), SweepInterval = TimeSpan.FromSeconds(5) }).Paired();

        for (var t = 20; t <= 200; t += 20)
        {
            h.At(t);
            Assert.IsType<RelayedPacket>(Assert.Single(h.Receive(new RelayPacket(t % 40 == 0 ? AliceId : BobId, default, Payload(10)), t % 40 == 0 ? Alice : Bob)).Packet);
        }

        Assert.Equal(0, h.Statistics.RoomsExpired);
        h.At(200 + 65);
        Assert.Equal(1, h.Statistics.RoomsExpired); // and it does expire once nobody relays or keeps it alive
    }

    [Fact]
    public void KeepAlive_MatchedPeer_RefreshesTheRoomAndItsAddressWithoutAnAnswer()
    {
        var h = new Harness(new SignalingServerOptions { RoomTtl = TimeSpan.FromSeconds(60) }).Paired();
        var rebound = new IPEndPoint(Alice.Address, 40999);

        for (var t = 10; t <= 120; t += 10)
        {
            h.At(t);
            Assert.Empty(h.Receive(new KeepAlivePacket("x", AliceId, default, Matched: true), t == 120 ? rebound : Alice));
            Assert.Empty(h.Receive(new KeepAlivePacket("x", BobId, default, Matched: true), Bob));
        }

        Assert.Equal(0, h.Statistics.RoomsExpired);
        Assert.Equal(rebound, Assert.Single(h.Receive(new RelayPacket(BobId, default, Payload(1)), Bob)).To); // the relay follows the NAT's new mapping
        Assert.Empty(h.Receive(new RelayPacket(AliceId, default, Payload(1)), Alice));                      // and the old one is no longer Alice
        Assert.IsType<PeerInfoPacket>(Assert.Single(h.Receive(new KeepAlivePacket("x", BobId, default), Bob)).Packet); // a waiting client still gets its PeerInfo again
        Assert.Equal(SignalingErrorCode.UnknownRoom,
            Assert.IsType<ErrorPacket>(Assert.Single(h.Receive(new KeepAlivePacket("gone", BobId, default, Matched: true), Bob)).Packet).Code);
    }

    [Fact]
    public void Relay_FloodOfTenThousand_StaysWithinTheLimitOneNoticeAndStunIsStillAnswered()
    {
        var options = new SignalingServerOptions { RelayBytesPerSecond = 256 * 1024, RelayBurstBytes = 1024 * 1024 };
        var h = new Harness(options).Paired();
        var payload = Payload(1200);
        var toBob = 0;
        var notices = 0;

        for (var i = 0; i < 10_000; i++)
        {
            h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks); // 10 s at 1.2 MB/s offered, about 4.6 times the rate
            h.Sent.Clear();
            h.Rendezvous.Receive(SignalingCodec.Encode(new RelayPacket(AliceId, h.Tokens[AliceId], payload)), Alice);
            foreach (var (to, bytes) in h.Sent)
            {
                if (to.Equals(Bob)) toBob++;
                else notices++;
            }
        }

        var allowed = (options.RelayBurstBytes + (10 * options.RelayBytesPerSecond)) / 1200;
        Assert.InRange(toBob, allowed - 2, allowed + 1);
        Assert.Equal(toBob, h.Statistics.RelayPacketsForwarded);
        Assert.Equal(10_000 - toBob, h.Statistics.RelayDroppedRate);
        Assert.InRange(notices, 1, 10); // at most one a second, never one per datagram
        var id = StunTransactionId.New();
        h.Sent.Clear();
        h.Rendezvous.Receive(ServerHarness.BindingRequest(id), Alice); // same address: its signaling budget is untouched
        Assert.Equal(id, StunMessage.Parse(Assert.Single(h.Sent).Bytes).TransactionId);
    }

    [Fact]
    public void Options_InvalidRelayLimits_AreRefusedWithTheirName()
    {
        Assert.Equal("RelayBytesPerSecond", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { RelayBytesPerSecond = 0 }.Validate()).ParamName);
        Assert.Equal("RelayBurstBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { RelayBurstBytes = 1000 }.Validate()).ParamName);
        Assert.Equal("RelayTotalBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { RelayTotalBytes = 0 }.Validate()).ParamName);
        Assert.Equal("MaxRelayPayloadBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { MaxRelayPayloadBytes = 1201 }.Validate()).ParamName);
        new SignalingServerOptions { MaxRelayPayloadBytes = 100, RelayBurstBytes = 100 }.Validate();
    }

    [Fact]
    public void Options_RelayDefaults_SuitChatAndPastedText()
    {
        var options = new SignalingServerOptions();

        Assert.True(options.RelayEnabled);
        Assert.Equal(256 * 1024, options.RelayBytesPerSecond);
        Assert.Equal(1024 * 1024, options.RelayBurstBytes);
        Assert.Equal(256L * 1024 * 1024, options.RelayTotalBytes);
        Assert.Equal(1200, options.MaxRelayPayloadBytes);
        options.Validate();
    }

    [Theory]
    [InlineData(900, "900 bytes")]
    [InlineData(256 * 1024, "256 KiB")]
    [InlineData(1024 * 1024, "1 MiB")]
    [InlineData(1536 * 1024, "1.5 MiB")]
    [InlineData(256L * 1024 * 1024, "256 MiB")]
    public void ByteCount_Format_ReadsLikeALimit(long bytes, string text) => Assert.Equal(text, ByteCount.Format(bytes));
}
