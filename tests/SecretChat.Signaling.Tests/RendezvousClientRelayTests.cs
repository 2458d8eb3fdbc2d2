using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Security;

namespace SecretChat.Signaling.Tests;

/// <summary>The client's relay side in virtual time, with the server played by hand.</summary>
public class RendezvousClientRelayTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint Me = new(IPAddress.Parse("198.51.100.9"), 41000);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("203.0.113.9"), 52000);
    private static readonly MemberToken Token = new(0x5EC2E7, 0x70CE2);
    private static readonly PeerId PeerId = new(7);

    private sealed class Harness : IDisposable
    {
        public Harness()
        {
            Client = new RendezvousClient(
                (bytes, to, _) =>
                {
                    Assert.Equal(Server, to);
                    Sent.Add((Scheduler.Clock, SignalingCodec.Decode(bytes.Span)));
                    return ValueTask.CompletedTask;
                },
                Server,
                Scheduler);
            Client.Relayed.Subscribe(payload => Relayed.Add(payload.ToArray()), () => Completed++);
            Client.RelayNotices.Subscribe(Notices.Add, () => Completed++);
        }

        public TestScheduler Scheduler { get; } = new();

        public RendezvousClient Client { get; }

        public List<(long Ticks, SignalingPacket Packet)> Sent { get; } = [];

        public List<byte[]> Relayed { get; } = [];

        public List<string> Notices { get; } = [];

        public int Completed { get; private set; }

        public bool Answer(SignalingPacket packet) => Client.TryHandle(SignalingCodec.Encode(packet), Server);

        public async Task<PeerMatch> MatchedAsync(string room = "x")
        {
            var task = Client.RegisterAsync(room, []);
            Answer(new PeerInfoPacket(Client.PeerId, Token, PeerRole.Initiator, TimeSpan.Zero, Me, PeerId, Peer, []));
            return await task;
        }

        public void At(double seconds) => Scheduler.AdvanceTo(TimeSpan.FromSeconds(seconds).Ticks);

        public void Dispose() => Client.Dispose();
    }

    [Fact]
    public async Task RelayAsync_BeforeAMatchOrAfterLeaving_ThrowsInvalidOperation()
    {
        using var h = new Harness();
        await Assert.ThrowsAsync<InvalidOperationException>(() => h.Client.RelayAsync(new byte[] { 1 }).AsTask());
        Assert.Throws<InvalidOperationException>(h.Client.KeepMembership);
        _ = h.Client.RegisterAsync("x", []);
        await Assert.ThrowsAsync<InvalidOperationException>(() => h.Client.RelayAsync(new byte[] { 1 }).AsTask()); // registered, still waiting

        h.Answer(new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Initiator, TimeSpan.Zero, Me, PeerId, Peer, []));
        await h.Client.RelayAsync(new byte[] { 1 });
        await h.Client.LeaveAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => h.Client.RelayAsync(new byte[] { 1 }).AsTask());
    }

    [Fact]
    public async Task RelayAsync_AfterAMatch_SendsARelayUnderOurIdAndToken()
    {
        using var h = new Harness();
        await h.MatchedAsync("blue-otter");

        await h.Client.RelayAsync(new byte[] { 9, 8, 7 });

        var relay = Assert.IsType<RelayPacket>(h.Sent[^1].Packet);
        Assert.Equal(Token, relay.Token);
        Assert.Equal(h.Client.PeerId, relay.Peer);
        Assert.Equal([9, 8, 7], relay.Payload.ToArray());
        Assert.Equal("datagram", (await Assert.ThrowsAsync<ArgumentException>(() => h.Client.RelayAsync(new byte[1201]).AsTask())).ParamName);
    }

    [Fact]
    public async Task TryHandle_RelayedFromTheMatchedPeer_IsSurfacedAndFromAnyoneElseDropped()
    {
        using var h = new Harness();
        Assert.True(h.Answer(new RelayedPacket(Token, PeerId, new byte[] { 1 }))); // before the match: ours, but nobody to give it to
        await h.MatchedAsync();

        Assert.True(h.Answer(new RelayedPacket(Token, PeerId, new byte[] { 2, 3 })));
        Assert.True(h.Answer(new RelayedPacket(Token, new PeerId(99), new byte[] { 4 }))); // a newcomer in the room after our peer left
        Assert.False(h.Client.TryHandle(SignalingCodec.Encode(new RelayedPacket(Token, PeerId, new byte[] { 5 })), Peer)); // not from the server

        Assert.Equal([2, 3], Assert.Single(h.Relayed));
    }

    [Fact]
    public async Task TryHandle_RelayedWithoutOurToken_IsDropped()
    {
        using var h = new Harness();
        await h.MatchedAsync();

        // Forged as the server's: the matched peer's id (it travels in the clear) but not our token.
        Assert.True(h.Answer(new RelayedPacket(MemberToken.New(), PeerId, new byte[] { 6 })));
        Assert.True(h.Answer(new RelayedPacket(default, PeerId, new byte[] { 6 })));
        Assert.True(h.Answer(new RelayedPacket(Token, PeerId, new byte[] { 7 })));

        Assert.Equal([7], Assert.Single(h.Relayed));
    }

    [Fact]
    public async Task Member_TokenFromTheServer_GoesIntoEveryRelayKeepAliveAndLeave()
    {
        using var h = new Harness();
        await h.MatchedAsync();
        h.Client.KeepMembership();

        await h.Client.RelayAsync(new byte[] { 1 });
        h.At(5);
        await h.Client.LeaveAsync();

        Assert.Equal(Token, Assert.IsType<RelayPacket>(h.Sent[^3].Packet).Token);
        Assert.Equal(Token, Assert.IsType<KeepAlivePacket>(h.Sent[^2].Packet).Token);
        Assert.Equal(new LeavePacket("x", h.Client.PeerId, Token), h.Sent[^1].Packet);
    }

    [Fact]
    public async Task KeepMembership_RoomLostAndTokenRenewed_UsesTheNewToken()
    {
        using var h = new Harness();
        await h.MatchedAsync();
        h.Client.KeepMembership();
        var renewed = new MemberToken(0xABC, 0xDEF);

        h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.UnknownRoom, "no such room"));
        h.Answer(new CookiePacket(h.Client.PeerId, new AddressCookie(5, 6)));
        h.Answer(new PeerInfoPacket(h.Client.PeerId, renewed, PeerRole.Responder, TimeSpan.Zero, Me, PeerId, Peer, []));
        h.At(5);

        Assert.Equal(renewed, Assert.IsType<KeepAlivePacket>(h.Sent[^1].Packet).Token);
        Assert.Equal(new AddressCookie(5, 6), ((KeepAlivePacket)h.Sent[^1].Packet).Cookie);
    }

    [Fact]
    public async Task TryHandle_RelayLimitErrorAfterTheMatch_IsOneNoticeAndNotAFailure()
    {
        using var h = new Harness();
        var match = await h.MatchedAsync();

        Assert.True(h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.RelayLimit, "the relay of room 'x' is limited to 256 KiB/s (bursts of 1 MiB); slow down")));
        Assert.True(h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.RelayDisabled, "this signaling server does not relay; only a direct path can connect these peers")));
        Assert.True(h.Answer(new ErrorPacket(new PeerId(99), SignalingErrorCode.RelayLimit, "someone else's")));
        Assert.True(h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.RoomFull, "stray")));

        Assert.Equal(
            ["the relay of room 'x' is limited to 256 KiB/s (bursts of 1 MiB); slow down", "this signaling server does not relay; only a direct path can connect these peers"],
            h.Notices);
        await h.Client.RelayAsync(new byte[] { 1 }); // still a member
        Assert.NotNull(match);
    }

    [Fact]
    public async Task KeepMembership_Matched_SendsKeepAlivesUntilLeave()
    {
        using var h = new Harness();
        await h.MatchedAsync();
        var before = h.Sent.Count;

        h.Client.KeepMembership();
        h.Client.KeepMembership(); // idempotent: one timer
        for (var t = 1; t <= 60; t++)
        {
            h.At(t);
            if (t % 5 == 0) Assert.True(h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me))); // a live server answers each (§9.9)
        }

        var keepAlives = h.Sent.Skip(before).Select(s => s.Packet).ToList();
        Assert.Equal(12, keepAlives.Count);
        Assert.All(keepAlives, p => Assert.Equal(new KeepAlivePacket("x", h.Client.PeerId, Token, Matched: true, AnswerWanted: true), p));
        await h.Client.LeaveAsync();
        var afterLeave = h.Sent.Count;
        h.At(120);
        Assert.Equal(afterLeave, h.Sent.Count);
        Assert.IsType<LeavePacket>(h.Sent[^1].Packet);
    }

    [Fact]
    public async Task KeepMembership_RoomLostAtTheServer_RegistersAgainUnderTheSameId()
    {
        using var h = new Harness();
        await h.MatchedAsync();
        h.Client.KeepMembership();
        h.At(5);

        Assert.True(h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.UnknownRoom, "room 'x' does not exist here")));
        Assert.True(h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me)));                                                      // ignored: already matched
        Assert.True(h.Answer(new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Responder, TimeSpan.Zero, Me, PeerId, Peer, []))); // ignored too

        var register = Assert.IsType<RegisterPacket>(h.Sent[^1].Packet);
        Assert.Equal(h.Client.PeerId, register.Peer);
        Assert.Equal("x", register.Room);
        await h.Client.RelayAsync(new byte[] { 1 });
        Assert.Empty(h.Notices);
    }

    [Fact]
    public async Task Dispose_Member_CompletesTheStreamsAndStopsKeepingAlive()
    {
        var h = new Harness();
        await h.MatchedAsync();
        h.Client.KeepMembership();

        h.Dispose();
        var sent = h.Sent.Count;
        h.At(60);

        Assert.Equal(sent, h.Sent.Count);
        Assert.Equal(2, h.Completed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Client.RelayAsync(new byte[] { 1 }).AsTask());
    }
}
