using System.Net;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>What a p2p socket takes from TURN signaling: only the server's, only with its own member token.</summary>
public sealed class PeerSocketTurnTests : IAsyncDisposable
{
    private static readonly IPEndPoint Local = IPEndPoint.Parse("192.168.1.2:40000");
    private static readonly IPEndPoint Server = IPEndPoint.Parse("192.0.2.1:3478");
    private static readonly IPEndPoint Turn = IPEndPoint.Parse("192.0.2.1:3479");
    private static readonly IPEndPoint Stranger = IPEndPoint.Parse("198.51.100.66:3478");
    private static readonly MemberToken Token = new(0x1234, 0x5678);

    private readonly TestScheduler _scheduler = new();
    private readonly Subject<Datagram> _inbound = new();
    private readonly List<(IPEndPoint To, byte[] Bytes)> _sent = [];
    private readonly PeerSocket _socket;

    public PeerSocketTurnTests()
    {
        _socket = new PeerSocket(_inbound, (datagram, to, _) =>
        {
            lock (_sent)
                _sent.Add((to, datagram.ToArray()));
            return ValueTask.CompletedTask;
        }, Local, Server, Disposable.Empty.AsAsync(), _scheduler);
        // The server's Registered gives the client its token.
        Deliver(Server, new RegisteredPacket(_socket.Rendezvous.PeerId, Token, IPEndPoint.Parse("203.0.113.9:50000")));
    }

    private void Deliver(IPEndPoint from, SignalingPacket packet) => _inbound.OnNext(new Datagram(from, SignalingCodec.Encode(packet)));

    private TurnCredentialsPacket Offer(MemberToken token, IPEndPoint? turn = null) =>
        new(_socket.Rendezvous.PeerId, token, turn ?? Turn, "1764554400:peer", "c2VjcmV0");

    [Fact]
    public void TurnCredentials_WithOurTokenFromTheServer_StartAnAllocationAtTheOfferedServer()
    {
        Deliver(Server, Offer(Token));

        Assert.Equal(Turn, _socket.Turn.Server);
        var (to, bytes) = Assert.Single(_sent, s => s.To.Equals(Turn));
        Assert.True(StunMessage.TryParse(bytes, out var allocate));
        Assert.Equal(StunMessageType.AllocateMethod, allocate.Type.Method);
    }

    [Fact]
    public void TurnCredentials_RenewedAfterTheFirst_AreKeptAndStartNoSecondAllocation()
    {
        Deliver(Server, Offer(Token));
        var client = _socket.Turn.Client;

        Deliver(Server, Offer(Token) with { Username = "1764558000:peer" });
        Deliver(Server, Offer(Token) with { Username = "1764558000:peer" }); // the same again: not another renewal
        Deliver(Server, Offer(new MemberToken(9, 9)) with { Username = "1764561600:peer" }); // not ours

        // The allocation keeps the user name that made it (RFC 8656 §5); the renewal is kept beside it.
        Assert.Same(client, _socket.Turn.Client);
        Assert.Single(_sent, s => s.To.Equals(Turn));
        Assert.Equal(1, _socket.Turn.Renewals);
        Assert.Equal("1764558000:peer", _socket.Turn.LatestCredentials!.Username);
    }

    [Fact]
    public void TurnCredentials_WithoutOurTokenOrFromAnotherAddress_AreIgnoredAndCounted()
    {
        Deliver(Server, Offer(new MemberToken(9, 9)));
        Deliver(Server, Offer(default));
        Deliver(Stranger, Offer(Token));

        Assert.Null(_socket.Turn.Client);
        Assert.DoesNotContain(_sent, s => s.To.Equals(Turn));
        Assert.Equal(3, _socket.Dropped);
    }

    [Fact]
    public async Task TurnCredentials_ForALoopbackTurnServerFromARemoteSignalingServer_AreRefusedWithASentence()
    {
        Deliver(Server, Offer(Token, IPEndPoint.Parse("127.0.0.1:3479")));

        Assert.Null(_socket.Turn.Client);
        Assert.Null(await _socket.Turn.Ready.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("the signaling server offered a TURN server at 127.0.0.1:3479, which is not an address to relay through", _socket.Turn.Failure);
    }

    [Fact]
    public void TurnAddress_BeforeAnyAllocation_IsTakenOnlyWithOurToken()
    {
        _socket.Turn.Matched(new PeerId(7));

        Deliver(Server, new TurnAddressPacket(new PeerId(7), new MemberToken(9, 9), IPEndPoint.Parse("192.0.2.1:50001")));
        Deliver(Stranger, new TurnAddressPacket(new PeerId(7), Token, IPEndPoint.Parse("192.0.2.1:50001")));

        Assert.Equal(2, _socket.Dropped);
        Assert.Null(_socket.Turn.PeerRelayed);
    }

    public async ValueTask DisposeAsync() => await _socket.DisposeAsync();
}

internal static class AsyncDisposableExtensions
{
    /// <summary>Nothing to dispose, as an <see cref="IAsyncDisposable"/>.</summary>
    public static IAsyncDisposable AsAsync(this IDisposable disposable) => new Wrapper(disposable);

    private sealed class Wrapper(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
