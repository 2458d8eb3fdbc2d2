using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>The server's behaviour in virtual time, without sockets.</summary>
public class RendezvousTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Carol = new(IPAddress.Parse("192.0.2.3"), 60003);
    private static readonly IPEndPoint AliceHost = new(IPAddress.Parse("192.168.1.10"), 40001);

    private sealed class Harness
    {
        public Harness(SignalingServerOptions? options = null)
        {
            Rendezvous = new Rendezvous(options ?? new SignalingServerOptions(), NullLogger.Instance, Scheduler, (bytes, to) => Sent.Add((to, bytes)));
        }

        public TestScheduler Scheduler { get; } = new();

        public Rendezvous Rendezvous { get; }

        public List<(IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

        /// <summary>
        /// Sends <paramref name="packet"/> as a client would: with the token the server gave that peer id (when the
        /// packet has none), and through the cookie round trip (a Cookie answer is taken and the packet sent again with it).
        /// </summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Receive(SignalingPacket packet, IPEndPoint from)
        {
            packet = ServerHarness.WithToken(packet, Tokens);
            var replies = Receive(SignalingCodec.Encode(packet), from);
            return ServerHarness.WithCookie(packet, replies) is { } proven ? Receive(SignalingCodec.Encode(proven), from) : replies;
        }

        /// <summary>Exactly these bytes, no token or cookie added.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Receive(byte[] datagram, IPEndPoint from)
        {
            Sent.Clear();
            Rendezvous.Receive(datagram, from);
            var replies = Sent.Where(s => SignalingCodec.IsSignaling(s.Bytes)).Select(s => (s.To, SignalingCodec.Decode(s.Bytes))).ToList();
            ServerHarness.Remember(replies.Select(r => r.Item2), Tokens);
            return replies;
        }

        /// <summary>The token the server gave each peer id.</summary>
        public Dictionary<PeerId, MemberToken> Tokens { get; } = [];
    }

    [Fact]
    public void Register_FirstPeer_IsToldItIsWaitingAndItsReflexiveAddress()
    {
        var h = new Harness();

        var replies = h.Receive(new RegisterPacket("room", new PeerId(1), [AliceHost]), Alice);

        var (to, packet) = Assert.Single(replies);
        Assert.Equal(Alice, to);
        var registered = Assert.IsType<RegisteredPacket>(packet);
        Assert.Equal(new RegisteredPacket(new PeerId(1), registered.Token, Alice), registered);
        Assert.False(registered.Token.IsNone);
        Assert.Equal(1, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Register_SecondPeer_BothGetPeerInfoAtOnceWithRolesAndCandidates()
    {
        var h = new Harness(new SignalingServerOptions { PunchDelay = TimeSpan.FromMilliseconds(200) });
        h.Receive(new RegisterPacket("room", new PeerId(1), [AliceHost]), Alice);

        var replies = h.Receive(new RegisterPacket("room", new PeerId(2), []), Bob);

        Assert.Equal(2, replies.Count);
        var toAlice = Assert.IsType<PeerInfoPacket>(replies.Single(r => r.To.Equals(Alice)).Packet);
        var toBob = Assert.IsType<PeerInfoPacket>(replies.Single(r => r.To.Equals(Bob)).Packet);
        Assert.Equal(PeerRole.Responder, toAlice.Role);
        Assert.Equal(PeerRole.Initiator, toBob.Role);
        Assert.Equal(Bob, toAlice.OtherReflexiveAddress);
        Assert.Equal(Alice, toBob.OtherReflexiveAddress);
        Assert.Equal([AliceHost], toBob.OtherHostCandidates);
        Assert.Equal(Alice, toAlice.ReflexiveAddress);
        Assert.Equal(TimeSpan.FromMilliseconds(200), toAlice.PunchDelay);
        Assert.Equal(toAlice.PunchDelay, toBob.PunchDelay);
    }

    [Fact]
    public void Register_Retransmitted_IsIdempotent()
    {
        var h = new Harness();
        var register = new RegisterPacket("room", new PeerId(1), []);
        h.Receive(register, Alice);

        var again = h.Receive(register, Alice);

        Assert.Equal(new RegisteredPacket(new PeerId(1), h.Tokens[new PeerId(1)], Alice), Assert.Single(again).Packet); // the same token again
        Assert.Equal(1, h.Rendezvous.Statistics.RoomsCreated);
        h.Receive(new RegisterPacket("room", new PeerId(2), []), Bob);
        var afterPairing = h.Receive(new RegisterPacket("room", new PeerId(2), []), Bob); // Bob lost his PeerInfo
        Assert.Equal(PeerRole.Initiator, Assert.IsType<PeerInfoPacket>(Assert.Single(afterPairing).Packet).Role);
        Assert.Equal(1, h.Rendezvous.Statistics.RoomsPaired);
    }

    [Fact]
    public void Register_ThirdPeer_IsRefusedBecauseTheRoomIsFull()
    {
        var h = new Harness();
        h.Receive(new RegisterPacket("x", new PeerId(1), []), Alice);
        h.Receive(new RegisterPacket("x", new PeerId(2), []), Bob);

        var replies = h.Receive(new RegisterPacket("x", new PeerId(3), []), Carol);

        var (to, packet) = Assert.Single(replies);
        Assert.Equal(Carol, to);
        Assert.Equal(new ErrorPacket(new PeerId(3), SignalingErrorCode.RoomFull, "room 'x' is full"), packet);
        Assert.Equal(1, h.Rendezvous.Statistics.RefusedRoomFull);
    }

    [Fact]
    public void Register_TooManyCandidatesOrRooms_IsRefusedClearly()
    {
        var h = new Harness(new SignalingServerOptions { MaxCandidatesPerPeer = 1, MaxRooms = 1 });

        var tooMany = h.Receive(new RegisterPacket("a", new PeerId(1), [AliceHost, Alice]), Alice);
        h.Receive(new RegisterPacket("a", new PeerId(1), []), Alice);
        var serverFull = h.Receive(new RegisterPacket("b", new PeerId(2), []), Bob);

        Assert.Equal(SignalingErrorCode.BadRequest, Assert.IsType<ErrorPacket>(Assert.Single(tooMany).Packet).Code);
        Assert.Equal(SignalingErrorCode.ServerFull, Assert.IsType<ErrorPacket>(Assert.Single(serverFull).Packet).Code);
    }

    [Fact]
    public void Room_PeerThatRegistersAndVanishes_ExpiresAfterTheTtl()
    {
        var h = new Harness(new SignalingServerOptions { RoomTtl = TimeSpan.FromSeconds(60), SweepInterval = TimeSpan.FromSeconds(5) });
        h.Receive(new RegisterPacket("x", new PeerId(1), []), Alice);

        h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(59).Ticks);
        Assert.Equal(1, h.Rendezvous.Statistics.OpenRooms);
        h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(65).Ticks);

        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
        Assert.Equal(1, h.Rendezvous.Statistics.RoomsExpired);
        var keepAlive = h.Receive(new KeepAlivePacket("x", new PeerId(1), default), Alice);
        Assert.Equal(SignalingErrorCode.UnknownRoom, Assert.IsType<ErrorPacket>(Assert.Single(keepAlive).Packet).Code);
    }

    [Fact]
    public void Room_KeepAlives_HoldItOpenPastTheTtl()
    {
        var h = new Harness(new SignalingServerOptions { RoomTtl = TimeSpan.FromSeconds(60) });
        h.Receive(new RegisterPacket("x", new PeerId(1), []), Alice);
        for (var t = 10; t <= 120; t += 10)
        {
            h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(t).Ticks);
            Assert.IsType<RegisteredPacket>(Assert.Single(h.Receive(new KeepAlivePacket("x", new PeerId(1), default), Alice)).Packet);
        }

        Assert.Equal(0, h.Rendezvous.Statistics.RoomsExpired);
    }

    [Fact]
    public void Leave_LastPeer_ClosesTheRoomAndTheOtherStaysAsResponder()
    {
        var h = new Harness();
        h.Receive(new RegisterPacket("x", new PeerId(1), []), Alice);
        h.Receive(new RegisterPacket("x", new PeerId(2), []), Bob);

        h.Receive(new LeavePacket("x", new PeerId(1), default), Alice);
        var carol = h.Receive(new RegisterPacket("x", new PeerId(3), []), Carol);

        Assert.Equal(PeerRole.Responder, Assert.IsType<PeerInfoPacket>(carol.Single(r => r.To.Equals(Bob)).Packet).Role);
        h.Receive(new LeavePacket("x", new PeerId(2), default), Bob);
        h.Receive(new LeavePacket("x", new PeerId(3), default), Carol);
        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void RateLimit_BurstThenRefusals_AnswersOneErrorAndRefillsWithTime()
    {
        var h = new Harness(new SignalingServerOptions { RateBurst = 3, RatePerSecond = 1 });
        var keepAlive = new KeepAlivePacket("x", new PeerId(1), default);
        for (var i = 0; i < 3; i++)
            h.Receive(keepAlive, Alice);

        var first = h.Receive(keepAlive, Alice);
        var second = h.Receive(keepAlive, Alice);

        Assert.Equal(SignalingErrorCode.RateLimited, Assert.IsType<ErrorPacket>(Assert.Single(first).Packet).Code);
        Assert.Empty(second); // no reflection flood: one Error per empty bucket
        Assert.Equal(2, h.Rendezvous.Statistics.RateLimitedDropped);
        Assert.Single(h.Receive(keepAlive, Bob)); // other sources are unaffected
        h.Scheduler.AdvanceTo(TimeSpan.FromSeconds(1).Ticks);
        Assert.Equal(SignalingErrorCode.UnknownRoom, Assert.IsType<ErrorPacket>(Assert.Single(h.Receive(keepAlive, Alice)).Packet).Code);
    }

    [Fact]
    public void Receive_Garbage_IsCountedAndDroppedWithoutAnswers()
    {
        var h = new Harness(new SignalingServerOptions { RateBurst = 1000 });

        Assert.Empty(h.Receive([0x40], Alice));                              // malformed signaling
        Assert.Empty(h.Receive([0x40, 0x02, 0xFF], Alice));                  // malformed signaling
        Assert.Empty(h.Receive([0x01, 0x02, 0x03], Alice));                  // a session packet
        Assert.Empty(h.Receive([], Alice));                                  // empty
        Assert.Empty(h.Receive(SignalingCodec.Encode(new RegisteredPacket(new PeerId(1), MemberToken.New(), Alice)), Alice)); // wrong direction
        Assert.Empty(h.Receive([0x40, 0x03, 0x00], Alice));                  // another version, too short for any answer to fit

        Assert.Equal(3, h.Rendezvous.Statistics.MalformedDropped);
        Assert.Equal(3, h.Rendezvous.Statistics.UnexpectedDropped);
        Assert.Equal(1, h.Rendezvous.Statistics.RefusedVersion);
        Assert.Equal(1, h.Rendezvous.Statistics.RepliesWithheld);
    }

    [Fact]
    public void Register_Version1Client_IsToldToUpdateInNoMoreBytesThanItSent()
    {
        var h = new Harness();
        // A version-1 Register: type, version 1, room "blue-otter", peer id, one IPv4 host candidate (no cookie field).
        var register = Convert.FromHexString("4001" + "0a" + Convert.ToHexString("blue-otter"u8) + "0000000000000001" + "01" + "04c0a8010a9c41");

        var reply = h.Receive(register, Alice);

        var error = Assert.IsType<ErrorPacket>(Assert.Single(reply).Packet);
        Assert.Equal(SignalingErrorCode.UnsupportedVersion, error.Code);
        Assert.StartsWith("update Secret", error.Reason); // the sentence is cut to fit, its first words first
        Assert.True(Assert.Single(h.Sent).Bytes.Length <= register.Length);
        Assert.Equal(0, h.Rendezvous.Statistics.OpenRooms);
    }

    [Fact]
    public void Receive_StunBindingRequest_IsAnsweredWithXorMappedAddressAndFingerprint()
    {
        var h = new Harness();
        var id = StunTransactionId.New();
        var request = new StunMessageBuilder(StunMessageType.BindingRequest, id).AddSoftware("SecretChat netcheck, padded so that all fits").AddFingerprint().ToArray();

        h.Receive(request, Alice);

        var (to, bytes) = Assert.Single(h.Sent);
        Assert.Equal(Alice, to);
        var response = StunMessage.Parse(bytes);
        Assert.Equal(StunMessageType.BindingSuccess, response.Type);
        Assert.Equal(id, response.TransactionId);
        Assert.Equal(Alice, response.XorMappedAddress);
        Assert.Equal("SecretChat signal", response.Software);
        Assert.True(response.VerifyFingerprint());
        Assert.True(bytes.Length <= request.Length);
    }

    [Theory]
    [InlineData("198.51.100.1", 52)]
    [InlineData("2001:db8::1", 52)]
    public void Receive_StunRequestTheAnswerBarelyFits_IsAnsweredWithoutSoftware(string address, int requestLength)
    {
        var h = new Harness();
        var id = StunTransactionId.New();
        var request = ServerHarness.BindingRequest(id);
        Assert.Equal(requestLength, request.Length);

        h.Receive(request, new IPEndPoint(IPAddress.Parse(address), 40000));

        var response = StunMessage.Parse(Assert.Single(h.Sent).Bytes);
        Assert.Equal(id, response.TransactionId);
        Assert.Null(response.Software); // left out so the answer is no larger than the request
        Assert.True(h.Sent[0].Bytes.Length <= request.Length);
    }

    [Fact]
    public void Receive_StunRequestSmallerThanItsAnswer_IsNotAnsweredUnlessTheOperatorAllowsIt()
    {
        var strict = new Harness();
        var lenient = new Harness(new SignalingServerOptions { StunAnswersMayExceedRequests = true });
        var bare = new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New()).ToArray(); // 20 bytes

        strict.Receive(bare, Alice);
        lenient.Receive(bare, Alice);

        Assert.Empty(strict.Sent);
        Assert.Equal(1, strict.Rendezvous.Statistics.RepliesWithheld);
        Assert.Equal(0, strict.Rendezvous.Statistics.StunRequestsAnswered);
        Assert.Equal(Alice, StunMessage.Parse(Assert.Single(lenient.Sent).Bytes).XorMappedAddress);
    }

    [Fact]
    public void Receive_StunBindingWithTurnAttributes_Answers420NoLargerThanTheRequest()
    {
        var h = new Harness(new SignalingServerOptions { Software = "secretchat-test" });
        var id = StunTransactionId.New();
        // REQUESTED-TRANSPORT and LIFETIME, as an Allocate has them, and SOFTWARE (as our netcheck sends): 72 bytes.
        var request = new StunMessageBuilder(StunMessageType.BindingRequest, id)
            .AddRequestedTransport(17).AddLifetime(TimeSpan.FromMinutes(10)).AddSoftware("secretchat-netcheck/1.0").AddFingerprint().ToArray();

        h.Receive(request, Alice);

        var (to, bytes) = Assert.Single(h.Sent);
        Assert.Equal(Alice, to);
        Assert.True(bytes.Length <= request.Length, $"{bytes.Length} bytes answered {request.Length}");
        var response = StunMessage.Parse(bytes);
        Assert.Equal(id, response.TransactionId);
        Assert.Equal(StunMessageType.BindingError, response.Type);
        Assert.Equal(StunErrorCode.UnknownAttribute, response.ErrorCode!.Code);
        Assert.Equal(new byte[] { 0x00, 0x19, 0x00, 0x0D }, response.Find(StunAttributeType.UnknownAttributes)!.Value.Value.ToArray());
        Assert.Null(response.XorMappedAddress);
        Assert.Equal(1, h.Rendezvous.Statistics.StunRequestsAnswered);
    }

    [Fact]
    public void Receive_StunBindingWithTurnAttributesSmallerThanThe420_IsNotAnswered()
    {
        var h = new Harness(new SignalingServerOptions { Software = "secretchat-test" });
        var request = new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New())
            .AddRequestedTransport(17).AddFingerprint().ToArray(); // 36 bytes; the bare 420 is larger

        h.Receive(request, Alice);

        Assert.Empty(h.Sent);
        Assert.Equal(1, h.Rendezvous.Statistics.RepliesWithheld);
        Assert.Equal(0, h.Rendezvous.Statistics.StunRequestsAnswered);
    }

    [Fact]
    public void Receive_StunBindingsWithTurnAttributesPastTheBurst_AreRateLimitedLikeAnyOther()
    {
        var h = new Harness(new SignalingServerOptions { RateBurst = 3, RatePerSecond = 1 });
        var answered = 0;
        for (var i = 0; i < 10; i++)
        {
            var request = new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New())
                .AddRequestedTransport(17).AddLifetime(TimeSpan.FromMinutes(10)).AddSoftware("secretchat-netcheck/1.0").AddFingerprint().ToArray();
            h.Receive(request, Alice);
            answered += h.Sent.Count;
        }

        Assert.Equal(3, answered);
        Assert.Equal(7, h.Rendezvous.Statistics.RateLimitedDropped);
    }

    [Fact]
    public void Options_Invalid_AreRefusedWithTheirName()
    {
        Assert.Equal("RoomTtl", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { RoomTtl = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal("MaxCandidatesPerPeer", Assert.Throws<ArgumentOutOfRangeException>(() => new SignalingServerOptions { MaxCandidatesPerPeer = 17 }.Validate()).ParamName);
    }
}
