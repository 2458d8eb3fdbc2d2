using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;

namespace SecretChat.Signaling.Tests;

/// <summary>Nameplates: the numbers of pairing codes, allocated by the server, burned after one pairing, released in time.</summary>
public class NameplateTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Carol = new(IPAddress.Parse("192.0.2.3"), 60003);

    private sealed class Harness
    {
        public Harness(SignalingServerOptions? options = null, ILogger? logger = null) =>
            Rendezvous = new Rendezvous(options ?? new SignalingServerOptions(), logger ?? NullLogger.Instance, Scheduler, (bytes, to) => Sent.Add((to, bytes)));

        public TestScheduler Scheduler { get; } = new();

        public Rendezvous Rendezvous { get; }

        public List<(IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

        public Dictionary<PeerId, MemberToken> Tokens { get; } = [];

        public List<(IPEndPoint To, SignalingPacket Packet)> Receive(SignalingPacket packet, IPEndPoint from)
        {
            packet = ServerHarness.WithToken(packet, Tokens);
            var replies = Receive(SignalingCodec.Encode(packet), from);
            return ServerHarness.WithCookie(packet, replies) is { } proven ? Receive(SignalingCodec.Encode(proven), from) : replies;
        }

        private List<(IPEndPoint To, SignalingPacket Packet)> Receive(byte[] datagram, IPEndPoint from)
        {
            Sent.Clear();
            Rendezvous.Receive(datagram, from);
            var replies = Sent.Where(s => SignalingCodec.IsSignaling(s.Bytes)).Select(s => (s.To, SignalingCodec.Decode(s.Bytes))).ToList();
            ServerHarness.Remember(replies.Select(r => r.Item2), Tokens);
            return replies;
        }

        public ushort Allocate(PeerId peer, IPEndPoint from) =>
            Assert.IsType<RegisteredPacket>(Assert.Single(Receive(new RegisterPacket(SignalingCodec.AllocateNameplateRoom, peer, []), from)).Packet).Nameplate;
    }

    [Fact]
    public void Allocate_FirstRequests_GetTheSmallestFreeNumbers()
    {
        var h = new Harness();
        Assert.Equal(1, h.Allocate(new PeerId(1), Alice));
        Assert.Equal(2, h.Allocate(new PeerId(3), Carol));
        Assert.Equal(2, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Allocate_Retransmitted_GetsTheSameNumberAndToken()
    {
        var h = new Harness();
        var first = h.Allocate(new PeerId(1), Alice);
        var token = h.Tokens[new PeerId(1)];
        Assert.Equal(first, h.Allocate(new PeerId(1), Alice));
        Assert.Equal(token, h.Tokens[new PeerId(1)]);
        Assert.Equal(1, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Join_AllocatedNameplate_PairsThenBurnsIt()
    {
        var h = new Harness();
        var number = h.Allocate(new PeerId(1), Alice);

        var paired = h.Receive(new RegisterPacket(SignalingCodec.NameplateRoom(number), new PeerId(2), []), Bob);
        Assert.Equal(2, paired.Count);
        Assert.All(paired, reply => Assert.IsType<PeerInfoPacket>(reply.Packet));

        // Someone else with the number: refused, whatever words it holds.
        var refused = Assert.Single(h.Receive(new RegisterPacket(SignalingCodec.NameplateRoom(number), new PeerId(3), []), Carol));
        Assert.Equal(SignalingErrorCode.UnknownNameplate, Assert.IsType<ErrorPacket>(refused.Packet).Code);

        // Still refused after one of the pair left: the nameplate does not take a newcomer again.
        h.Receive(new LeavePacket(SignalingCodec.NameplateRoom(number), new PeerId(2), default), Bob);
        refused = Assert.Single(h.Receive(new RegisterPacket(SignalingCodec.NameplateRoom(number), new PeerId(4), []), Carol));
        Assert.Equal(SignalingErrorCode.UnknownNameplate, Assert.IsType<ErrorPacket>(refused.Packet).Code);
    }

    [Fact]
    public void Join_NameplateNeverAllocated_IsRefusedAndOpensNothing()
    {
        var h = new Harness();
        var refused = Assert.Single(h.Receive(new RegisterPacket("#5", new PeerId(2), []), Bob));
        Assert.Equal(SignalingErrorCode.UnknownNameplate, Assert.IsType<ErrorPacket>(refused.Packet).Code);
        refused = Assert.Single(h.Receive(new RegisterPacket("#x", new PeerId(2), []), Bob));
        Assert.Equal(SignalingErrorCode.UnknownNameplate, Assert.IsType<ErrorPacket>(refused.Packet).Code);
        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Allocate_WhileANumberIsClaimed_NeverReusesIt()
    {
        var h = new Harness();
        var number = h.Allocate(new PeerId(1), Alice);
        h.Receive(new RegisterPacket(SignalingCodec.NameplateRoom(number), new PeerId(2), []), Bob);
        Assert.NotEqual(number, h.Allocate(new PeerId(3), Carol));
    }

    [Fact]
    public void Nameplate_AfterItsLifetime_IsReleasedAndMayBeAllocatedAgain()
    {
        var options = new SignalingServerOptions { RoomTtl = TimeSpan.FromHours(1), NameplateLifetime = TimeSpan.FromMinutes(10) };
        var h = new Harness(options);
        Assert.Equal(1, h.Allocate(new PeerId(1), Alice));
        h.Scheduler.AdvanceBy(TimeSpan.FromMinutes(9).Ticks);
        Assert.Equal(1, h.Rendezvous.Statistics.OpenRooms);

        h.Scheduler.AdvanceBy(TimeSpan.FromMinutes(1).Ticks + options.SweepInterval.Ticks);
        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
        var late = Assert.Single(h.Receive(new RegisterPacket("#1", new PeerId(2), []), Bob));
        Assert.Equal(SignalingErrorCode.UnknownNameplate, Assert.IsType<ErrorPacket>(late.Packet).Code);
        Assert.Equal(1, h.Allocate(new PeerId(3), Carol));
    }

    [Fact]
    public void Nameplate_LeftBeforeAnyoneJoined_IsReleased()
    {
        var h = new Harness();
        var number = h.Allocate(new PeerId(1), Alice);
        h.Receive(new LeavePacket(SignalingCodec.NameplateRoom(number), new PeerId(1), default), Alice);
        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Codec_RegisteredWithNameplate_RoundTripsAndWithoutOneKeepsTheOldLayout()
    {
        var token = MemberToken.New();
        var with = new RegisteredPacket(new PeerId(7), token, Alice, 513);
        Assert.Equal(with, SignalingCodec.Decode(SignalingCodec.Encode(with)));
        var without = new RegisteredPacket(new PeerId(7), token, Alice);
        Assert.Equal(SignalingCodec.Encode(with).Length - 2, SignalingCodec.Encode(without).Length);
        Assert.Equal(without, SignalingCodec.Decode(SignalingCodec.Encode(without)));
    }

    [Theory]
    [InlineData("#1", true)]
    [InlineData("#65535", true)]
    [InlineData("#", false)]
    [InlineData("#a1", false)]
    [InlineData("room", false)]
    public void IsNameplateRoom_Names_AreNumbersBehindAHash(string room, bool expected) =>
        Assert.Equal(expected, SignalingCodec.IsNameplateRoom(room));
}
