using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;

namespace SecretChat.Signaling.Tests;

/// <summary>The server's side of a matched client's liveness check (docs/PROTOCOL.md §9.9): KeepAlive with "answer wanted".</summary>
public class RendezvousAnswerWantedTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 50002);
    private static readonly IPEndPoint Mallory = new(IPAddress.Parse("192.0.2.66"), 6666);
    private static readonly PeerId AliceId = new(1), BobId = new(2);

    private readonly TestScheduler _scheduler = new();
    private readonly List<(IPEndPoint To, byte[] Bytes)> _sent = [];
    private readonly Dictionary<PeerId, MemberToken> _tokens = [];
    private readonly Rendezvous _rendezvous;

    public RendezvousAnswerWantedTests()
    {
        _rendezvous = new Rendezvous(new SignalingServerOptions(), NullLogger.Instance, _scheduler, (bytes, to) => _sent.Add((to, bytes)));
        Receive(new RegisterPacket("x", AliceId, []), Alice);
        Receive(new RegisterPacket("x", BobId, []), Bob);
    }

    private List<(IPEndPoint To, byte[] Bytes)> Exactly(SignalingPacket packet, IPEndPoint from)
    {
        _sent.Clear();
        _rendezvous.Receive(SignalingCodec.Encode(packet), from);
        ServerHarness.Remember(_sent.Select(s => SignalingCodec.Decode(s.Bytes)), _tokens);
        return [.. _sent];
    }

    private List<(IPEndPoint To, byte[] Bytes)> Receive(SignalingPacket packet, IPEndPoint from)
    {
        packet = ServerHarness.WithToken(packet, _tokens);
        var replies = Exactly(packet, from);
        return ServerHarness.WithCookie(packet, replies.Select(r => (r.To, SignalingCodec.Decode(r.Bytes))).ToList()) is { } proven ? Exactly(proven, from) : replies;
    }

    [Fact]
    public void KeepAlive_MatchedWithAnswerWanted_IsAnsweredWithAShortRegistered()
    {
        var keepAlive = new KeepAlivePacket("x", AliceId, _tokens[AliceId], Matched: true, AnswerWanted: true);

        var (to, bytes) = Assert.Single(Exactly(keepAlive, Alice));

        Assert.Equal(Alice, to);
        var registered = Assert.IsType<RegisteredPacket>(SignalingCodec.Decode(bytes));
        Assert.Equal((AliceId, Alice), (registered.Peer, registered.ReflexiveAddress));
        Assert.True(_tokens[AliceId].Matches(registered.Token));
        Assert.True(bytes.Length <= SignalingCodec.Encode(keepAlive).Length); // never more bytes than it received
    }

    [Fact]
    public void KeepAlive_AnswerWantedWithoutTheToken_IsNotAnswered()
    {
        var wrong = _tokens[AliceId] with { Low = _tokens[AliceId].Low ^ 1 };

        Assert.Empty(Exactly(new KeepAlivePacket("x", AliceId, wrong, Matched: true, AnswerWanted: true), Alice));
        Assert.Empty(Exactly(new KeepAlivePacket("x", AliceId, wrong, Matched: true, AnswerWanted: true), Mallory));
    }

    [Fact]
    public void KeepAlive_AnswerWantedFromANewAddress_DrawsOnlyTheCookieFirst()
    {
        var (to, bytes) = Assert.Single(Exactly(new KeepAlivePacket("x", AliceId, _tokens[AliceId], Matched: true, AnswerWanted: true), Mallory));

        Assert.Equal(Mallory, to);
        Assert.IsType<CookiePacket>(SignalingCodec.Decode(bytes)); // the token alone does not move Alice (§9.8)
    }

    [Fact]
    public void Redirect_SentToTheServer_IsDroppedWithoutAnAnswer()
    {
        Assert.Empty(Exactly(new RedirectPacket(AliceId, _tokens[AliceId], Mallory), Alice));
        Assert.Empty(Exactly(new RedirectPacket(BobId, _tokens[BobId], Mallory), Mallory));
    }
}
