using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Security;

namespace SecretChat.Signaling.Tests;

/// <summary>The client's timing and error handling in virtual time, with the server played by hand.</summary>
public class RendezvousClientTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint Me = new(IPAddress.Parse("198.51.100.9"), 41000);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("203.0.113.9"), 52000);
    private static readonly MemberToken Token = new(0x5EC2E7, 0x70CE2);

    private sealed class Harness
    {
        public Harness(RendezvousClientOptions? options = null)
        {
            Client = new RendezvousClient(
                (bytes, to, _) =>
                {
                    Sent.Add((Scheduler.Clock, SignalingCodec.Decode(bytes.Span)));
                    return ValueTask.CompletedTask;
                },
                Server,
                Scheduler,
                options);
        }

        public TestScheduler Scheduler { get; } = new();

        public RendezvousClient Client { get; }

        public List<(long Ticks, SignalingPacket Packet)> Sent { get; } = [];

        public bool Answer(SignalingPacket packet) => Client.TryHandle(SignalingCodec.Encode(packet), Server);

        public void At(double seconds) => Scheduler.AdvanceTo(TimeSpan.FromSeconds(seconds).Ticks);
    }

    [Fact]
    public async Task Register_ServerUnreachable_FailsAfterFiveSecondsSayingSo()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("room", []);

        h.At(4.999);
        Assert.False(task.IsCompleted);
        h.At(5);

        var error = await Assert.ThrowsAsync<SignalingTimeoutException>(() => task);
        Assert.Equal("the signaling server 192.0.2.1:3478 did not answer within 5 s", error.Message);
        Assert.Equal(
            new[] { 0, 0.5, 1.5, 2.5, 3.5, 4.5 },
            h.Sent.Select(s => TimeSpan.FromTicks(s.Ticks).TotalSeconds));
        Assert.All(h.Sent, s => Assert.IsType<RegisterPacket>(s.Packet));
    }

    [Fact]
    public async Task Register_WaitThenPeerInfo_ReturnsTheMatchAndKeepsAliveMeanwhile()
    {
        var h = new Harness();
        var waiting = new List<IPEndPoint>();
        var task = h.Client.RegisterAsync("room", [new IPEndPoint(IPAddress.Parse("10.0.0.2"), 41000)], new SynchronousProgress(waiting.Add));
        var peerHost = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 52000);

        Assert.True(h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me)));
        for (var t = 1; t <= 12; t++)
        {
            h.At(t);
            if (t % 5 == 0) Assert.True(h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me)));
        }

        Assert.Equal([Me], waiting);
        Assert.Equal(2, h.Sent.Count(s => s.Packet is KeepAlivePacket));
        Assert.True(h.Answer(new PeerInfoPacket(h.Client.PeerId, Token, PeerRole.Initiator, TimeSpan.FromMilliseconds(100), Me, new PeerId(7), Peer, [peerHost])));

        var match = await task;
        Assert.Equal(PeerRole.Initiator, match.Role);
        Assert.Equal(Me, match.ReflexiveAddress);
        Assert.Equal([Peer, peerHost], match.PeerCandidates);
        Assert.Equal(TimeSpan.FromMilliseconds(100), match.PunchDelay);
        var sent = h.Sent.Count;
        h.At(60);
        Assert.Equal(sent, h.Sent.Count); // nothing more once matched
    }

    [Fact]
    public void Register_ServerAsksForACookie_SendsTheRegisterAgainAtOnceWithItAndKeepsIt()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("room", []);
        var cookie = new AddressCookie(0xC00C1E, 42);
        h.At(0.1);

        Assert.True(h.Answer(new CookiePacket(h.Client.PeerId, cookie)));

        var again = Assert.IsType<RegisterPacket>(h.Sent[^1].Packet);
        Assert.Equal(cookie, again.Cookie);
        Assert.Equal(TimeSpan.FromSeconds(0.1).Ticks, h.Sent[^1].Ticks); // at once, not at the next retransmission
        Assert.Equal(default, Assert.IsType<RegisterPacket>(h.Sent[0].Packet).Cookie);
        h.At(0.6);
        Assert.Equal(cookie, Assert.IsType<RegisterPacket>(h.Sent[^1].Packet).Cookie); // retransmissions carry it too
        Assert.True(h.Answer(new CookiePacket(new PeerId(12345), new AddressCookie(1, 1)))); // someone else's: ignored
        Assert.Equal(cookie, Assert.IsType<RegisterPacket>(h.Sent[^1].Packet).Cookie);

        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));
        h.At(5.6);
        var keepAlive = Assert.IsType<KeepAlivePacket>(h.Sent[^1].Packet);
        Assert.Equal(Token, keepAlive.Token); // the server's token goes into every KeepAlive
        Assert.False(task.IsCompleted);
    }

    [Fact]
    public async Task Register_RoomFull_FailsWithTheServersSentence()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("x", []);

        h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.RoomFull, "room 'x' is full"));

        var error = await Assert.ThrowsAsync<SignalingException>(() => task);
        Assert.Equal("room 'x' is full", error.Message);
        Assert.Equal(SignalingErrorCode.RoomFull, error.Code);
    }

    [Fact]
    public async Task Register_RateLimited_FailsSayingWhoLimits()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("x", []);

        h.Answer(new ErrorPacket(default, SignalingErrorCode.RateLimited, "slow down"));

        var error = await Assert.ThrowsAsync<SignalingException>(() => task);
        Assert.Equal("the signaling server 192.0.2.1:3478 is rate-limiting this address: slow down", error.Message);
    }

    [Fact]
    public void Register_UnknownRoomWhileWaiting_RegistersAgain()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("x", []);
        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));
        h.At(5);

        h.Answer(new ErrorPacket(h.Client.PeerId, SignalingErrorCode.UnknownRoom, "room 'x' does not exist here"));

        Assert.False(task.IsCompleted);
        Assert.IsType<RegisterPacket>(h.Sent[^1].Packet);
    }

    [Fact]
    public async Task Register_ServerFallsSilentWhileWaiting_Fails()
    {
        var h = new Harness();
        var task = h.Client.RegisterAsync("x", []);
        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));

        h.At(10);

        var error = await Assert.ThrowsAsync<SignalingTimeoutException>(() => task);
        Assert.Equal("the signaling server 192.0.2.1:3478 stopped answering (nothing for 10 s)", error.Message);
    }

    [Fact]
    public void Register_KeepAliveUnansweredWhileWaiting_AsksAgainWithTheBackoffNotAfterAnotherInterval()
    {
        // On a lossy path one lost exchange must not cost a whole interval: a lost introduction of the peer
        // would otherwise wait 5 s to be repeated, and two lost exchanges would end the wait.
        var h = new Harness();
        _ = h.Client.RegisterAsync("x", []);
        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));

        h.At(9.999);

        Assert.Equal(
            new[] { 5, 5.5, 6.5, 7.5, 8.5, 9.5 },
            h.Sent.Where(s => s.Packet is KeepAlivePacket).Select(s => TimeSpan.FromTicks(s.Ticks).TotalSeconds));
    }

    [Fact]
    public void Register_KeepAliveAnsweredWhileWaiting_NextOneAfterTheInterval()
    {
        var h = new Harness();
        _ = h.Client.RegisterAsync("x", []);
        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));
        h.At(5.1);
        h.Answer(new RegisteredPacket(h.Client.PeerId, Token, Me));

        h.At(10.4);

        Assert.Equal(
            new[] { 5.0, 10 },
            h.Sent.Where(s => s.Packet is KeepAlivePacket).Select(s => TimeSpan.FromTicks(s.Ticks).TotalSeconds));
    }

    [Fact]
    public void TryHandle_OtherSourcesAndNonSignaling_AreNotConsumed()
    {
        var h = new Harness();
        _ = h.Client.RegisterAsync("x", []);
        var registered = SignalingCodec.Encode(new RegisteredPacket(h.Client.PeerId, Token, Me));

        Assert.False(h.Client.TryHandle(registered, Peer));
        Assert.False(h.Client.TryHandle([0x01, 0x00], Server));
        Assert.True(h.Client.TryHandle([0x41, 0x02], Server)); // malformed but ours: swallowed
    }

    [Fact]
    public async Task Register_Cancelled_StopsSending()
    {
        var h = new Harness();
        using var cts = new CancellationTokenSource();
        var task = h.Client.RegisterAsync("x", [], cancellationToken: cts.Token);

        await cts.CancelAsync();
        h.At(30);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Single(h.Sent);
    }

    [Fact]
    public void RendezvousClient_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => new RendezvousClient(null!, Server, scheduler)).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => new RendezvousClient((_, _, _) => default, null!, scheduler)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new RendezvousClient((_, _, _) => default, Server, null!)).ParamName);
        var client = new RendezvousClient((_, _, _) => default, Server, scheduler);
        Assert.Equal("room", Assert.Throws<ArgumentException>(() => { _ = client.RegisterAsync("", []); }).ParamName);
        Assert.Equal("hostCandidates", Assert.Throws<ArgumentNullException>(() => { _ = client.RegisterAsync("x", null!); }).ParamName);
    }

    private sealed class SynchronousProgress(Action<IPEndPoint> report) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => report(value);
    }
}
