using System.Net;
using static SecretChat.Signaling.Tests.ServerListHarness;

namespace SecretChat.Signaling.Tests;

/// <summary>A client told by its server to relay through the room's home node (docs/PROTOCOL.md §9.9), in virtual time.</summary>
public class RendezvousClientRedirectTests
{
    private static readonly IPEndPoint A = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint B = new(IPAddress.Parse("192.0.2.2"), 3478);
    private static readonly IPEndPoint Home = new(IPAddress.Parse("192.0.2.50"), 3479);
    private static readonly IPEndPoint Stranger = new(IPAddress.Parse("203.0.113.66"), 6666);

    [Fact]
    public async Task Redirect_WithOurIdAndToken_MovesRelayKeepAliveAndLeaveToTheHomeNode()
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        h.Client.KeepMembership();
        h.At(1);

        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, Home)));

        Assert.Equal(Home, h.Client.Server);
        var hello = Assert.Single(h.SentSince(1)); // at once: the home node learns our address as it sees it
        Assert.Equal((Home, new KeepAlivePacket("x", h.Client.PeerId, Token, Matched: true, AnswerWanted: true)), (hello.To, hello.Packet));
        await h.Client.RelayAsync(new byte[] { 5 });
        Assert.Equal(Home, h.Sent[^1].To);
        Assert.IsType<RelayPacket>(h.Sent[^1].Packet);
        Assert.True(h.From(Home, new RelayedPacket(Token, OtherPeer, new byte[] { 6 })));
        Assert.False(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me))); // A is no longer our server
        Assert.False(h.From(Stranger, new RelayedPacket(Token, OtherPeer, new byte[] { 7 })));
        Assert.Equal([[6]], h.Relayed);
        Assert.True(h.From(Home, new RegisteredPacket(h.Client.PeerId, Token, Me)));
        h.At(6);
        Assert.Equal(Home, h.Sent[^1].To);
        await h.Client.LeaveAsync();
        Assert.Equal((Home, new LeavePacket("x", h.Client.PeerId, Token)), (h.Sent[^1].To, h.Sent[^1].Packet));
    }

    public static TheoryData<string, long, long> NotOurs() => new()
    {
        { "another member's id", 12345, 0 },
        { "a wrong token", 0, 1 },
        { "no token", 0, 2 },
    };

    [Theory]
    [MemberData(nameof(NotOurs))]
    public async Task Redirect_ForgedOrForSomeoneElse_MovesNoOne(string what, long otherPeer, long tokenCase)
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        var peer = otherPeer == 0 ? h.Client.PeerId : new PeerId((ulong)otherPeer);
        var token = tokenCase switch { 1 => Token with { Low = Token.Low ^ 1 }, 2 => default, _ => Token };
        var sent = h.Sent.Count;

        Assert.True(h.From(A, new RedirectPacket(peer, token, Home)), what); // consumed as signaling from the server, and ignored

        Assert.Equal(A, h.Client.Server);
        Assert.Equal(sent, h.Sent.Count);
        await h.Client.RelayAsync(new byte[] { 1 });
        Assert.Equal(A, h.Sent[^1].To);
    }

    [Fact]
    public async Task Redirect_FromAnyoneButOurServer_IsNotEvenTaken()
    {
        using var h = new ServerListHarness(A, B);
        await h.MatchedAtAsync(A);

        Assert.False(h.From(B, new RedirectPacket(h.Client.PeerId, Token, Home))); // B is in our list, but not our server now
        Assert.False(h.From(Home, new RedirectPacket(h.Client.PeerId, Token, Home)));

        Assert.Equal(A, h.Client.Server);
    }

    [Fact]
    public async Task Redirect_BeforeTheServerGaveUsAToken_IsIgnored()
    {
        using var h = new ServerListHarness(A);
        var task = h.Client.RegisterAsync("x", []);

        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, Home)));

        Assert.Equal(A, h.Client.Server);
        Assert.All(h.Sent, s => Assert.Equal(A, s.To));
        Assert.False(task.IsCompleted);
    }

    [Theory]
    [InlineData("127.0.0.1", 3478)]
    [InlineData("127.8.9.10", 3478)]
    [InlineData("0.0.0.0", 3478)]
    [InlineData("0.1.2.3", 3478)]
    [InlineData("224.0.0.1", 3478)]
    [InlineData("239.255.255.250", 1900)]
    [InlineData("240.0.0.1", 3478)]
    [InlineData("255.255.255.255", 3478)]
    [InlineData("169.254.1.1", 3478)]
    [InlineData("192.0.2.50", 0)]
    [InlineData("2001:db8::1", 3478)]
    [InlineData("::1", 3478)]
    public async Task Redirect_ToAnAddressNoNodeCanBeAt_IsIgnored(string address, int port)
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        var sent = h.Sent.Count;

        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, new IPEndPoint(IPAddress.Parse(address), port))));

        Assert.Equal(A, h.Client.Server);
        Assert.Equal(sent, h.Sent.Count);
    }

    [Theory]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "::", false)]
    [InlineData("::1", "ff02::1", false)]
    [InlineData("::1", "2001:db8::1", false)]
    [InlineData("2001:db8::1", "2001:db8::2", true)]
    [InlineData("2001:db8::1", "::1", false)]
    [InlineData("2001:db8::1", "fe80::1", false)]
    [InlineData("2001:db8::1", "ff05::2", false)]
    [InlineData("2001:db8::1", "::ffff:192.0.2.50", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "192.0.2.50", false)]
    [InlineData("192.0.2.1", "198.51.100.7", true)]
    [InlineData("192.0.2.1", "10.1.2.3", true)]
    public void MayRedirectTo_LoopbackOnlyFromLoopbackAndNeverToSpecialAddresses(string server, string home, bool allowed)
    {
        Assert.Equal(allowed, RendezvousClient.MayRedirectTo(new IPEndPoint(IPAddress.Parse(home), 4000), new IPEndPoint(IPAddress.Parse(server), 3478)));
    }

    [Fact]
    public async Task Redirect_ServerOnLoopback_MayMoveUsToAnotherLoopbackPort()
    {
        var local = new IPEndPoint(IPAddress.Loopback, 3478);
        var home = new IPEndPoint(IPAddress.Loopback, 3479);
        using var h = new ServerListHarness(local);
        await h.MatchedAtAsync(local);

        Assert.True(h.From(local, new RedirectPacket(h.Client.PeerId, Token, home)));

        Assert.Equal(home, h.Client.Server);
        Assert.Equal(home, h.Sent[^1].To);
    }

    [Fact]
    public async Task Redirect_ChainedMoreThanThreeTimes_TheFourthIsIgnored()
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        var nodes = Enumerable.Range(1, 4).Select(i => new IPEndPoint(IPAddress.Parse($"192.0.2.{100 + i}"), 3478)).ToArray();

        var current = A;
        foreach (var node in nodes)
        {
            Assert.True(h.From(current, new RedirectPacket(h.Client.PeerId, Token, node)));
            current = h.Client.Server;
        }

        Assert.Equal(nodes[2], h.Client.Server);
        Assert.Equal(3, h.Sent.Count(s => s.Packet is KeepAlivePacket));
        Assert.DoesNotContain(h.Sent, s => s.To.Equals(nodes[3]));
    }

    [Fact]
    public async Task Redirect_ToTheServerItself_ChangesNothing()
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        var sent = h.Sent.Count;

        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.1"), 3478))));

        Assert.Equal(A, h.Client.Server);
        Assert.Equal(sent, h.Sent.Count);
    }

    [Fact]
    public async Task Redirect_HomeNodeSilent_RejoinsAtTheNextServerOfTheList()
    {
        using var h = new ServerListHarness(A, B);
        await h.MatchedAtAsync(A);
        h.Client.KeepMembership();
        h.At(1);
        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, Home)));

        h.At(10.999);
        Assert.All(h.SentSince(1), s => Assert.Equal(Home, s.To));
        h.At(11);

        var rejoin = h.SentSince(11).Single();
        h.AssertRejoin((rejoin.To, rejoin.Packet), B, "x", Token);
    }

    [Fact]
    public async Task Redirect_WhileWaiting_MovesTheWaitingKeepAlives()
    {
        using var h = new ServerListHarness(A);
        var task = h.Client.RegisterAsync("x", []);
        Assert.True(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me)));

        Assert.True(h.From(A, new RedirectPacket(h.Client.PeerId, Token, Home)));

        Assert.Equal((Home, new KeepAlivePacket("x", h.Client.PeerId, Token)), (h.Sent[^1].To, h.Sent[^1].Packet));
        Assert.True(h.From(Home, new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Responder, TimeSpan.Zero, Me, OtherPeer, Peer, [])));
        Assert.Equal(OtherPeer, (await task).Peer);
    }

    [Fact]
    public async Task Relayed_FromAnotherNodeOfTheListBeforeWeAreRedirected_IsTakenOnlyWithOurTokenAndThePeersId()
    {
        using var h = new ServerListHarness(A, B);
        await h.MatchedAtAsync(A);

        // The other member relays through the room's home node B, which forwards from its own address; we still talk to A.
        Assert.True(h.From(B, new RelayedPacket(Token, OtherPeer, new byte[] { 1 })));
        Assert.False(h.From(B, new RelayedPacket(Token with { High = Token.High ^ 1 }, OtherPeer, new byte[] { 2 })));
        Assert.False(h.From(B, new RelayedPacket(Token, new PeerId(99), new byte[] { 3 })));
        Assert.False(h.From(B, new RegisteredPacket(h.Client.PeerId, Token, Me)));   // only relayed payloads, nothing else from there
        Assert.False(h.From(B, new ErrorPacket(h.Client.PeerId, SignalingErrorCode.UnknownRoom, "no such room")));
        Assert.False(h.From(Home, new RelayedPacket(Token, OtherPeer, new byte[] { 4 }))); // not a node of ours
        Assert.False(h.From(Stranger, new RelayedPacket(Token, OtherPeer, new byte[] { 5 })));

        Assert.Equal([[1]], h.Relayed);
        Assert.Equal(A, h.Client.Server); // and it moved nothing
    }

    [Fact]
    public async Task Relayed_FromAnotherAddressBeforeTheMatch_IsNotTaken()
    {
        using var h = new ServerListHarness(A);
        _ = h.Client.RegisterAsync("x", []);
        Assert.True(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me)));

        Assert.False(h.From(Home, new RelayedPacket(Token, OtherPeer, new byte[] { 1 })));

        Assert.Empty(h.Relayed);
    }
}
