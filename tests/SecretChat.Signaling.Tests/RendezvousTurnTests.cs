using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;

namespace SecretChat.Signaling.Tests;

/// <summary>The server's TURN credentials and the relayed-address exchange, in virtual time and without sockets.</summary>
public class RendezvousTurnTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Carol = new(IPAddress.Parse("192.0.2.3"), 60003);
    private static readonly IPEndPoint TurnServer = new(IPAddress.Parse("192.0.2.100"), 3478);
    private static readonly IPEndPoint AliceRelayed = new(IPAddress.Parse("192.0.2.100"), 49152);
    private static readonly PeerId AliceId = new(1), BobId = new(2), CarolId = new(3);
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("north-wind-secret");

    /// <summary>Epoch + 1 day: virtual time starts at 0001-01-01, which has no Unix seconds of its own.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch.AddDays(1);

    private static SignalingServerOptions WithTurn(TimeSpan? lifetime = null) => new()
    {
        Turn = new TurnRelayOptions(TurnServer, Secret) { CredentialLifetime = lifetime ?? TimeSpan.FromHours(1) },
    };

    private sealed class Harness
    {
        public Harness(SignalingServerOptions options)
        {
            Scheduler.AdvanceTo(Start.UtcTicks);
            options.Validate();
            Rendezvous = new Rendezvous(options, NullLogger.Instance, Scheduler, (bytes, to) => Sent.Add((to, bytes)));
        }

        public TestScheduler Scheduler { get; } = new();

        public Rendezvous Rendezvous { get; }

        public List<(IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

        public Dictionary<PeerId, MemberToken> Tokens { get; } = [];

        public List<(IPEndPoint To, SignalingPacket Packet)> Receive(SignalingPacket packet, IPEndPoint from)
        {
            packet = ServerHarness.WithToken(packet, Tokens);
            var replies = Exactly(packet, from);
            return ServerHarness.WithCookie(packet, replies) is { } proven ? Exactly(proven, from) : replies;
        }

        public List<(IPEndPoint To, SignalingPacket Packet)> Exactly(SignalingPacket packet, IPEndPoint from) => Exactly(SignalingCodec.Encode(packet), from);

        public List<(IPEndPoint To, SignalingPacket Packet)> Exactly(byte[] datagram, IPEndPoint from)
        {
            Sent.Clear();
            Rendezvous.Receive(datagram, from);
            var replies = Sent.Select(s => (s.To, SignalingCodec.Decode(s.Bytes))).ToList();
            ServerHarness.Remember(replies.Select(r => r.Item2), Tokens);
            return replies;
        }

        /// <summary>The replies to Bob's Register, which pairs him with Alice.</summary>
        public List<(IPEndPoint To, SignalingPacket Packet)> Pair()
        {
            Receive(new RegisterPacket("x", AliceId, []), Alice);
            return Receive(new RegisterPacket("x", BobId, []), Bob);
        }

        /// <summary>Moves the clock on, both members keeping the room alive every 20 s as clients do; the credentials they get on the way.</summary>
        public List<TurnCredentialsPacket> KeepAliveFor(TimeSpan duration)
        {
            var renewed = new List<TurnCredentialsPacket>();
            var end = Scheduler.Now + duration;
            while (Scheduler.Now < end)
            {
                var step = end - Scheduler.Now < TimeSpan.FromSeconds(20) ? end - Scheduler.Now : TimeSpan.FromSeconds(20);
                Scheduler.AdvanceBy(step.Ticks);
                foreach (var (id, address) in new[] { (AliceId, Alice), (BobId, Bob) })
                    renewed.AddRange(Receive(new KeepAlivePacket("x", id, default, Matched: true), address).Select(r => r.Packet).OfType<TurnCredentialsPacket>());
            }
            return renewed;
        }

        public void Advance(TimeSpan by) => Scheduler.AdvanceBy(by.Ticks);
    }

    private static string ExpectedPassword(string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(Secret, Encoding.UTF8.GetBytes(username)));

    [Fact]
    public void Pairing_WithTurnConfigured_GivesEachMemberCredentialsOfTheSharedSecretScheme()
    {
        var h = new Harness(WithTurn());

        var replies = h.Pair();

        var credentials = replies.Where(r => r.Packet is TurnCredentialsPacket).ToList();
        Assert.Equal(2, credentials.Count);
        foreach (var (to, packet) in credentials)
        {
            var turn = (TurnCredentialsPacket)packet;
            var (member, address) = turn.Peer == AliceId ? (AliceId, Alice) : (BobId, Bob);
            Assert.Equal(address, to);
            Assert.True(h.Tokens[member].Matches(turn.Token));
            Assert.Equal(TurnServer, turn.Server);
            var expiry = (Start + TimeSpan.FromHours(1)).ToUnixTimeSeconds();
            Assert.Equal($"{expiry}:{member}", turn.Username);
            Assert.Equal(ExpectedPassword(turn.Username), turn.Password);
            Assert.Equal(Start + TimeSpan.FromHours(1), turn.Expires);
        }
    }

    [Fact]
    public void Pairing_WithoutTurn_SendsNoCredentials()
    {
        var h = new Harness(new SignalingServerOptions());

        Assert.DoesNotContain(h.Pair(), r => r.Packet is TurnCredentialsPacket);
    }

    [Fact]
    public void Register_AloneInTheRoomOrWithoutCookie_GetsNoCredentials()
    {
        var h = new Harness(WithTurn());

        var unproven = h.Exactly(new RegisterPacket("x", AliceId, []), Alice);
        var waiting = h.Receive(new RegisterPacket("x", AliceId, []), Alice);

        Assert.IsType<CookiePacket>(Assert.Single(unproven).Packet);
        Assert.IsType<RegisteredPacket>(Assert.Single(waiting).Packet);
    }

    [Fact]
    public void Register_ForgedAsAMemberWithoutCookie_GetsOnlyACookieSmallerThanItself()
    {
        var h = new Harness(WithTurn());
        h.Pair();
        var forged = SignalingCodec.Encode(new RegisterPacket("x", BobId, []));

        var replies = h.Exactly(forged, Carol);

        Assert.All(h.Sent, s => Assert.True(s.Bytes.Length <= forged.Length));
        Assert.DoesNotContain(replies, r => r.Packet is TurnCredentialsPacket);
    }

    [Fact]
    public void KeepAlive_Matched_RenewsCredentialsOnlyOnceHalfTheirLifeIsGone()
    {
        var h = new Harness(WithTurn(TimeSpan.FromMinutes(10)));
        h.Pair();

        var early = h.KeepAliveFor(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(50));
        var late = h.KeepAliveFor(TimeSpan.FromSeconds(20));
        var again = h.KeepAliveFor(TimeSpan.FromMinutes(4));

        Assert.Empty(early);
        Assert.Equal(2, late.Count);
        Assert.All(late, renewed =>
        {
            Assert.Equal(Start + TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(10), renewed.Expires);
            Assert.Equal(ExpectedPassword(renewed.Username), renewed.Password);
        });
        Assert.Equal([AliceId, BobId], late.Select(c => c.Peer));
        Assert.Empty(again);
    }

    [Fact]
    public void KeepAlive_MatchedWithAWrongToken_RenewsNothing()
    {
        var h = new Harness(WithTurn(TimeSpan.FromMinutes(10)));
        h.Pair();
        h.KeepAliveFor(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(40));
        h.Advance(TimeSpan.FromSeconds(30)); // 310 s: past half the life

        var replies = h.Exactly(new KeepAlivePacket("x", AliceId, MemberToken.New(), Matched: true), Alice);
        var rightToken = h.Receive(new KeepAlivePacket("x", AliceId, default, Matched: true), Alice);

        Assert.DoesNotContain(replies, r => r.Packet is TurnCredentialsPacket);
        Assert.IsType<TurnCredentialsPacket>(Assert.Single(rightToken).Packet);
    }

    [Fact]
    public void TurnAddress_FromAMember_IsForwardedToTheOtherWithItsTokenAtTheSameSize()
    {
        var h = new Harness(WithTurn());
        h.Pair();
        var sent = SignalingCodec.Encode(new TurnAddressPacket(AliceId, h.Tokens[AliceId], AliceRelayed));

        var replies = h.Exactly(sent, Alice);

        var (to, packet) = Assert.Single(replies);
        Assert.Equal(Bob, to);
        var forwarded = Assert.IsType<TurnAddressPacket>(packet);
        Assert.Equal(AliceId, forwarded.Peer);
        Assert.True(h.Tokens[BobId].Matches(forwarded.Token));
        Assert.Equal(AliceRelayed, forwarded.RelayedAddress);
        Assert.Equal(sent.Length, Assert.Single(h.Sent).Bytes.Length);
    }

    [Fact]
    public void TurnAddress_FromAStrangerOrWithAWrongToken_IsDroppedUnanswered()
    {
        var h = new Harness(WithTurn());
        h.Pair();

        var stranger = h.Exactly(new TurnAddressPacket(AliceId, h.Tokens[AliceId], Carol), Carol);
        var wrongToken = h.Exactly(new TurnAddressPacket(AliceId, MemberToken.New(), Carol), Alice);
        var unknown = h.Exactly(new TurnAddressPacket(CarolId, MemberToken.New(), Carol), Carol);

        Assert.Empty(stranger.Concat(wrongToken).Concat(unknown));
        Assert.Equal(3, h.Rendezvous.Statistics.RelayDroppedNotMember);
    }

    [Fact]
    public void TurnAddress_WithoutTurnConfigured_IsDropped()
    {
        var h = new Harness(new SignalingServerOptions());
        h.Pair();

        Assert.Empty(h.Exactly(new TurnAddressPacket(AliceId, h.Tokens[AliceId], AliceRelayed), Alice));
    }

    [Fact]
    public void TurnAddress_RepeatedUnchanged_IsForwardedAtMostOnceASecond()
    {
        var h = new Harness(WithTurn());
        h.Pair();
        var packet = new TurnAddressPacket(AliceId, h.Tokens[AliceId], AliceRelayed);

        var forwarded = Enumerable.Range(0, 50).Sum(_ => h.Exactly(packet, Alice).Count);
        var moved = h.Exactly(packet with { RelayedAddress = new IPEndPoint(AliceRelayed.Address, 49999) }, Alice).Count;
        h.Advance(TimeSpan.FromSeconds(1));
        var later = h.Exactly(packet, Alice).Count;

        Assert.Equal(1, forwarded);
        Assert.Equal(1, moved);
        Assert.Equal(1, later);
    }

    [Fact]
    public void TurnRelayOptions_Argument_Checking()
    {
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => new TurnRelayOptions(null!, Secret)).ParamName);
        Assert.Equal("sharedSecret", Assert.Throws<ArgumentException>(() => new TurnRelayOptions(TurnServer, [])).ParamName);
        Assert.Equal("sharedSecret", Assert.Throws<ArgumentException>(() => new TurnRelayOptions(TurnServer, new byte[TurnRelayOptions.MaxSecretBytes + 1])).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentException>(() => new TurnRelayOptions(new IPEndPoint(IPAddress.Any, 3478), Secret)).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentException>(() => new TurnRelayOptions(new IPEndPoint(IPAddress.Parse("239.1.2.3"), 3478), Secret)).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentException>(() => new TurnRelayOptions(new IPEndPoint(TurnServer.Address, 0), Secret)).ParamName);
        var tooLong = new SignalingServerOptions { Turn = new TurnRelayOptions(TurnServer, Secret) { CredentialLifetime = TimeSpan.FromDays(8) } };
        Assert.Equal("CredentialLifetime", Assert.Throws<ArgumentOutOfRangeException>(tooLong.Validate).ParamName);
    }

    [Fact]
    public void TurnRelayOptions_ToString_NeverShowsTheSecret()
    {
        var options = new TurnRelayOptions(TurnServer, Secret);

        Assert.DoesNotContain("north-wind", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("north-wind", new SignalingServerOptions { Turn = options }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TurnCredentialsPacket_ToString_NeverShowsThePassword()
    {
        var packet = new TurnCredentialsPacket(AliceId, MemberToken.New(), TurnServer, "1:a", "c2VjcmV0LXBhc3N3b3Jk");

        Assert.DoesNotContain("c2VjcmV0", packet.ToString(), StringComparison.Ordinal);
    }
}
