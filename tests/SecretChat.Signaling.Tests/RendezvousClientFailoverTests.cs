using System.Net;
using Microsoft.Reactive.Testing;
using static SecretChat.Signaling.Tests.ServerListHarness;

namespace SecretChat.Signaling.Tests;

/// <summary>A client of several signaling servers in virtual time: it moves on when its server stops answering (docs/PROTOCOL.md §9.9).</summary>
public class RendezvousClientFailoverTests
{
    private static readonly IPEndPoint A = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint B = new(IPAddress.Parse("192.0.2.2"), 3478);

    [Fact]
    public void Register_FirstServerSilent_RegistersAtTheNextAfterFiveSeconds()
    {
        using var h = new ServerListHarness(A, B);
        var task = h.Client.RegisterAsync("room", []);

        h.At(4.999);
        Assert.Equal([0, 0.5, 1.5, 2.5, 3.5, 4.5], h.SentSince(0).Select(s => s.Seconds));
        Assert.All(h.Sent, s => Assert.Equal(A, s.To));
        h.At(5);

        var (seconds, to, packet) = Assert.Single(h.SentSince(5));
        Assert.Equal((5.0, B), (seconds, to));
        var register = Assert.IsType<RegisterPacket>(packet);
        Assert.Equal(("room", h.Client.PeerId), (register.Room, register.Peer));
        Assert.True(register.Token.IsNone); // no server ever gave one: a first registration
        Assert.Equal(B, h.Client.Server);
        Assert.False(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me))); // the one it left is no longer its server
        Assert.True(h.From(B, new RegisteredPacket(h.Client.PeerId, Token, Me)));
        h.At(9.999);
        Assert.False(task.IsCompleted);
    }

    [Fact]
    public async Task Register_EveryServerSilent_FailsNamingThemAfterFiveSecondsEach()
    {
        using var h = new ServerListHarness(A, B);
        var task = h.Client.RegisterAsync("room", []);

        h.At(9.999);
        Assert.False(task.IsCompleted);
        h.At(10);

        var error = await Assert.ThrowsAsync<SignalingTimeoutException>(() => task);
        Assert.Equal("none of the signaling servers (192.0.2.1:3478, 192.0.2.2:3478) answered within 5 s", error.Message);
        Assert.Equal(
            [(0, A), (0.5, A), (1.5, A), (2.5, A), (3.5, A), (4.5, A), (5, B), (5.5, B), (6.5, B), (7.5, B), (8.5, B), (9.5, B)],
            h.SentSince(0).Select(s => (s.Seconds, s.To)));
    }

    [Fact]
    public async Task Waiting_ServerStopsAnswering_RejoinsAtTheNextWithTheSameRoomIdAndToken()
    {
        using var h = new ServerListHarness(A, B);
        var task = h.Client.RegisterAsync("room", []);
        Assert.True(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me)));

        h.At(9.999);
        Assert.Equal([(5, A), (5.5, A), (6.5, A), (7.5, A), (8.5, A), (9.5, A)], h.SentSince(0.1).Select(s => (s.Seconds, s.To)));
        Assert.All(h.SentSince(0.1), s => Assert.IsType<KeepAlivePacket>(s.Packet));
        h.At(10);

        var rejoin = Assert.Single(h.SentSince(10));
        h.AssertRejoin((rejoin.To, rejoin.Packet), B, "room", Token);
        Assert.False(task.IsCompleted);
        Assert.True(h.From(B, new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Responder, TimeSpan.Zero, Me, OtherPeer, Peer, [])));
        var match = await task;
        Assert.Equal((PeerRole.Responder, OtherPeer), (match.Role, match.Peer));
    }

    [Fact]
    public async Task Waiting_EveryServerStopsAnswering_FailsSayingSo()
    {
        using var h = new ServerListHarness(A, B);
        var task = h.Client.RegisterAsync("room", []);
        Assert.True(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me)));
        h.At(10);
        Assert.True(h.From(B, new RegisteredPacket(h.Client.PeerId, Token, Me))); // B answers the rejoin, then dies too

        h.At(19.999);
        Assert.False(task.IsCompleted);
        h.At(20);
        Assert.Equal(A, h.Sent[^1].To); // B silent: round again at A (A may be back)
        h.At(25);

        var error = await Assert.ThrowsAsync<SignalingTimeoutException>(() => task);
        Assert.StartsWith("none of the signaling servers (192.0.2.1:3478, 192.0.2.2:3478)", error.Message);
    }

    [Fact]
    public async Task Matched_ServerStopsAnswering_RejoinsAtTheNextAndRelaysThere()
    {
        using var h = new ServerListHarness(A, B);
        await h.MatchedAtAsync(A);
        h.Client.KeepMembership();

        h.At(9.999);
        var keepAlives = h.SentSince(0.1).ToList(); // after the first Register
        Assert.Equal([(5, A), (5.5, A), (6.5, A), (7.5, A), (8.5, A), (9.5, A)], keepAlives.Select(s => (s.Seconds, s.To)));
        Assert.All(keepAlives, s => Assert.Equal(new KeepAlivePacket("x", h.Client.PeerId, Token, Matched: true, AnswerWanted: true), s.Packet));
        h.At(10);

        var rejoin = Assert.Single(h.SentSince(10));
        h.AssertRejoin((rejoin.To, rejoin.Packet), B, "x", Token);
        h.At(10.2);
        Assert.True(h.From(B, new RegisteredPacket(h.Client.PeerId, Token, Me)));
        await h.Client.RelayAsync(new byte[] { 1, 2 });
        var relay = Assert.IsType<RelayPacket>(h.Sent[^1].Packet);
        Assert.Equal((B, h.Client.PeerId, Token), (h.Sent[^1].To, relay.Peer, relay.Token));
        Assert.Equal([1, 2], relay.Payload.ToArray());
        Assert.True(h.From(B, new RelayedPacket(Token, OtherPeer, new byte[] { 9 })));
        Assert.False(h.From(IPEndPoint.Parse("203.0.113.66:6666"), new RelayedPacket(Token, OtherPeer, new byte[] { 8 }))); // from no node of ours
        Assert.Equal([[9]], h.Relayed);

        h.At(15);
        Assert.Equal((15, B), (h.SentSince(15).Single().Seconds, h.SentSince(15).Single().To));
        Assert.IsType<KeepAlivePacket>(h.Sent[^1].Packet); // back to KeepAlives, at the new server
        Assert.Empty(h.Notices); // the relay never became unavailable
    }

    [Fact]
    public async Task Matched_OnlyServerSilent_RegistersAgainWithBackoffAndTellsOnce()
    {
        using var h = new ServerListHarness(A);
        await h.MatchedAtAsync(A);
        h.Client.KeepMembership();

        h.At(29.999);

        var registers = h.SentSince(10).ToList();
        Assert.Equal([10, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5, 16.5, 17.5, 18.5, 19.5, 20, 20.5, 21.5, 22.5, 23.5, 24.5, 25.5, 26.5, 27.5, 28.5, 29.5], registers.Select(s => s.Seconds));
        Assert.All(registers, s => h.AssertRejoin((s.To, s.Packet), A, "x", Token));
        Assert.Equal(["the signaling server 192.0.2.1:3478 stopped answering; the relay is unavailable until it answers again (a direct path is not affected)"], h.Notices);

        Assert.True(h.From(A, new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Initiator, TimeSpan.Zero, Me, OtherPeer, Peer, [])));
        h.At(35);
        Assert.Equal(new KeepAlivePacket("x", h.Client.PeerId, Token, Matched: true, AnswerWanted: true), h.Sent[^1].Packet);
        await h.Client.RelayAsync(new byte[] { 1 }); // still a member
    }

    [Fact]
    public async Task Matched_AnsweredKeepAlives_NeverMoveTheClient()
    {
        using var h = new ServerListHarness(A, B);
        await h.MatchedAtAsync(A);
        h.Client.KeepMembership();

        for (var t = 1; t <= 120; t++)
        {
            h.At(t);
            if (t % 5 == 0) Assert.True(h.From(A, new RegisteredPacket(h.Client.PeerId, Token, Me)));
        }

        Assert.Equal(24, h.Sent.Count(s => s.Packet is KeepAlivePacket));
        Assert.Equal(25, h.Sent.Count); // and the first Register
        Assert.All(h.Sent, s => Assert.Equal(A, s.To));
        Assert.Equal(A, h.Client.Server);
    }

    [Fact]
    public void RendezvousClient_ServerListArgumentChecking()
    {
        var scheduler = new TestScheduler();
        SecretChat.Transport.SendDatagram send = (_, _, _) => default;

        Assert.Equal("servers", Assert.Throws<ArgumentNullException>(() => new RendezvousClient((IReadOnlyList<IPEndPoint>)null!, send, scheduler)).ParamName);
        Assert.Equal("servers", Assert.Throws<ArgumentException>(() => new RendezvousClient([], send, scheduler)).ParamName);
        Assert.Equal("servers", Assert.Throws<ArgumentNullException>(() => new RendezvousClient([A, null!], send, scheduler)).ParamName);
        // Both families in one list: a dual-stack socket reaches them all (issue 19), so the list is taken as given.
        Assert.Equal([A, new IPEndPoint(IPAddress.IPv6Loopback, 3478)], new RendezvousClient([A, new IPEndPoint(IPAddress.IPv6Loopback, 3478)], send, scheduler).Servers);
        Assert.Equal("servers", Assert.Throws<ArgumentException>(() => new RendezvousClient(Enumerable.Repeat(A, RendezvousClient.MaxServers + 1).ToArray(), send, scheduler)).ParamName);
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => new RendezvousClient([A], null!, scheduler)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new RendezvousClient([A], send, null!)).ParamName);
        var mapped = new RendezvousClient([new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.1"), 3478), B], send, scheduler);
        Assert.Equal([A, B], mapped.Servers); // IPv4-mapped counts as IPv4
    }
}
