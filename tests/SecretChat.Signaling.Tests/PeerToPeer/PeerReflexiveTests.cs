using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Signaling.PeerToPeer;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>
/// Peer-reflexive candidates (ICE's prflx), in virtual time: alice behind a NAT that maps each destination to a port of
/// its own (symmetric) talks to the server from <see cref="AliceToServer"/> and to bob from <see cref="AlicePrflx"/>, an
/// address nobody announced; bob is public. Her router drops what comes to <see cref="AliceToServer"/> from anyone but
/// the server (address-dependent filtering), so only the unannounced address can carry a direct path.
/// </summary>
public sealed class PeerReflexiveTests : IAsyncDisposable
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private static readonly IPEndPoint AliceHost = IPEndPoint.Parse("10.1.0.10:40000");
    private static readonly IPEndPoint AliceToServer = IPEndPoint.Parse("198.51.100.11:50000");
    private static readonly IPEndPoint AlicePrflx = IPEndPoint.Parse("198.51.100.11:61234");
    private static readonly IPEndPoint BobPublic = IPEndPoint.Parse("203.0.113.20:41000");
    private static readonly IPEndPoint Stranger = IPEndPoint.Parse("203.0.113.66:6666");
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly TestScheduler _scheduler = new();
    private readonly VirtualInternet _internet;
    private readonly StaticKeyPair _aliceKey = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bobKey = StaticKeyPair.Generate();
    private readonly StaticKeyPair _impostorKey = StaticKeyPair.Generate();
    private PunchAttempt? _alice;
    private PunchAttempt? _bob;

    public PeerReflexiveTests()
    {
        _internet = new VirtualInternet(_scheduler)
        {
            Blocks = (from, to) => to.Equals(AliceToServer) && !from.Equals(VirtualInternet.Server),
        };
    }

    [Fact]
    public async Task PunchAsync_SymmetricInitiatorsHelloFromAnUnannouncedPort_ResponderSelectsThatAddressAfterACookie()
    {
        await MeetAsync(aliceInitiates: true);

        var (alice, bob) = await PunchBothAsync(advanceUntilDone: 1500);

        Assert.False(bob.Relayed);
        Assert.Equal(AlicePrflx, bob.Channel.RemoteEndPoint);
        Assert.Equal(_aliceKey.PublicKey.ToArray(), (await bob.Channel.Established).RemoteStaticKey.ToArray());
        Assert.False(alice.Relayed);
        Assert.Equal(BobPublic, alice.Channel.RemoteEndPoint);
        Assert.DoesNotContain(AlicePrflx, _bob!.PeerCandidates); // selected without ever being announced
        Assert.Equal(1, _bob.PeerReflexiveHandshakes);
        // Before the cookie came back, bob sent that address one cookie per hello, each smaller than the hello.
        var firstHello = _internet.Sent.First(s => s.From.Equals(AliceHost) && s.To.Equals(BobPublic) && s.Bytes[0] == (byte)PacketType.InitiatorHello);
        var firstAnswer = _internet.Sent.First(s => s.From.Equals(BobPublic) && s.To.Equals(AlicePrflx));
        Assert.Equal((byte)PacketType.Cookie, firstAnswer.Bytes[0]);
        Assert.Equal(PacketCodec.CookiePacketSize, firstAnswer.Bytes.Length);
        Assert.True(firstAnswer.Bytes.Length < firstHello.Bytes.Length);
        using var path = _bob.ManagePath(bob);
        Assert.Equal(PathKind.Direct, path.Path);
    }

    [Fact]
    public async Task PunchAsync_ForgedHellosFromAnUnannouncedAddress_GetOnlyACookieEachAndSelectNothing()
    {
        await MeetAsync(aliceInitiates: true);
        var hello = await CapturedAliceHelloAsync();
        var bobPunching = StartPunching(_bob!, AdmitOnly(_aliceKey));

        // An off-path attacker sends alice's own hello (and garbage data) from a forged source it cannot receive at.
        var data = new byte[PacketCodec.DataHeaderSize + 32];
        PacketCodec.WriteHeader(PacketHeader.Data(1, 7), data);
        for (var i = 0; i < 3; i++)
        {
            _internet.Inject(Stranger, BobPublic, hello);
            _internet.Inject(Stranger, BobPublic, data);
        }
        _scheduler.AdvanceBy(100 * Ms);

        var toStranger = _internet.Sent.Where(s => s.From.Equals(BobPublic) && s.To.Equals(Stranger)).ToList();
        Assert.Equal(3, toStranger.Count);
        Assert.All(toStranger, s => Assert.Equal(((byte)PacketType.Cookie, PacketCodec.CookiePacketSize), (s.Bytes[0], s.Bytes.Length)));
        Assert.Equal(0, _bob!.PeerReflexiveHandshakes);
        Assert.Equal(6, _bob.StrangerPackets);
        Assert.False(bobPunching.IsCompleted);

        // The real alice still gets her path, at her unannounced address, once she proves it.
        var alicePunching = StartPunching(_alice!, DatagramChannelOptions.Default);
        var (alice, bob) = await FinishAsync(alicePunching, bobPunching, 1500);
        Assert.Equal(AlicePrflx, bob.Channel.RemoteEndPoint);
        Assert.Equal(BobPublic, alice.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PunchAsync_StrangerProvesItsOwnAddressButIsNotThePeer_RefusedAndNothingSelected()
    {
        await MeetAsync(aliceInitiates: true);
        var bobPunching = StartPunching(_bob!, AdmitOnly(_aliceKey));
        // A host that really is at the stranger's address answers the cookie and runs a whole handshake, with its own key.
        var impostorSocket = _internet.Attach(IPEndPoint.Parse("10.9.9.9:40000"), Stranger);
        var impostor = SecureDatagramChannel.Connect(new NoiseSecurity(_impostorKey), BobPublic, impostorSocket.SendAsync, null, _scheduler);
        impostorSocket.DeliverSessionPacketsTo((IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram) => impostor.Receive(from, header, datagram));
        _scheduler.AdvanceBy(500 * Ms);

        // The proven hello got a handshake, which bob refused once it authenticated the impostor's key (the initiator's
        // last message carries it, so the impostor's side believes it is done): no session, and bob is still punching.
        Assert.Equal(1, _bob!.PeerReflexiveHandshakes);
        Assert.True(impostor.Established.IsCompleted);
        Assert.False(bobPunching.IsCompleted);

        var alicePunching = StartPunching(_alice!, DatagramChannelOptions.Default);
        var (alice, bob) = await FinishAsync(alicePunching, bobPunching, 1500);
        Assert.Equal(AlicePrflx, bob.Channel.RemoteEndPoint);
        Assert.Equal(_aliceKey.PublicKey.ToArray(), (await bob.Channel.Established).RemoteStaticKey.ToArray());
        Assert.Equal(BobPublic, alice.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PeerPath_SymmetricResponderOnTheRelay_AuthenticatedProbeFromItsUnannouncedPortUpgradesBothSides()
    {
        // Bob initiates: his hellos go to alice's announced addresses, which her router drops; the session starts on
        // the relay. Alice's upgrade probes then reach bob from her unannounced port and authenticate: both go direct.
        await MeetAsync(aliceInitiates: false);
        var (alice, bob) = await PunchBothAsync(advanceUntilDone: 3000);
        Assert.True(alice.Relayed);
        Assert.True(bob.Relayed);
        using var alicePath = _alice!.ManagePath(alice);
        using var bobPath = _bob!.ManagePath(bob);
        var changes = new List<PathChange>();
        using var watching = bobPath.Changes.Subscribe(changes.Add);

        _scheduler.AdvanceBy(1100 * Ms);

        Assert.Equal(new PathChange(PathKind.Direct, AlicePrflx, PathMoveReason.Upgraded), Assert.Single(changes));
        Assert.Equal((PathKind.Direct, AlicePrflx), (bobPath.Path, bob.Channel.RemoteEndPoint));
        Assert.Equal((PathKind.Direct, BobPublic), (alicePath.Path, alice.Channel.RemoteEndPoint));
    }

    [Fact]
    public async Task PeerPath_ReplayedProbeFromAnUnannouncedAddress_ChangesNothingAndSendsNothingThere()
    {
        await MeetAsync(aliceInitiates: false);
        var (alice, bob) = await PunchBothAsync(advanceUntilDone: 3000);
        using var bobPath = _bob!.ManagePath(bob);
        Assert.True(bob.Relayed);
        // Alice's authenticated probe reaches bob through the relay; an attacker who saw it sends it again from its own address.
        var sentBefore = _internet.Sent.Count;
        await alice.Channel.ProbeAsync(VirtualInternet.Server);
        _scheduler.AdvanceBy(50 * Ms);
        var relayed = _internet.Sent.Skip(sentBefore).First(s => s.From.Equals(AliceHost) && s.To.Equals(VirtualInternet.Server));
        var probe = SignalingCodec.TryDecode(relayed.Bytes, out var packet) && packet is RelayPacket relay ? relay.Payload.ToArray() : throw new InvalidOperationException("not a relay packet");
        var replayedBefore = bob.Channel.Statistics.Dropped(DatagramDropReason.Replayed);

        _internet.Inject(Stranger, BobPublic, probe);
        _scheduler.AdvanceBy(50 * Ms);

        Assert.Equal(replayedBefore + 1, bob.Channel.Statistics.Dropped(DatagramDropReason.Replayed));
        Assert.Equal(VirtualInternet.Server, bob.Channel.RemoteEndPoint);
        Assert.Equal(PathKind.Relay, bobPath.Path);
        Assert.DoesNotContain(_internet.Sent, s => s.To.Equals(Stranger));
    }

    public async ValueTask DisposeAsync()
    {
        if (_alice is not null)
            await _alice.DisposeAsync();
        if (_bob is not null)
            await _bob.DisposeAsync();
        _internet.Dispose();
        _aliceKey.Dispose();
        _bobKey.Dispose();
        _impostorKey.Dispose();
    }

    private static DatagramChannelOptions AdmitOnly(StaticKeyPair pinned) => new()
    {
        AdmitPeer = session => session.RemoteStaticKey.Span.SequenceEqual(pinned.PublicKey.Span) ? null : "REFUSED: not the pinned key.",
    };

    /// <summary>The second to register initiates; both are matched once the server's answers arrive.</summary>
    private async Task MeetAsync(bool aliceInitiates)
    {
        _bob = new PunchAttempt(_internet.Attach(BobPublic, BobPublic), _scheduler, PeerToPeerOptions.Default);
        _alice = new PunchAttempt(_internet.AttachSymmetric(AliceHost, AliceToServer, AlicePrflx), _scheduler, PeerToPeerOptions.Default);
        var (first, second) = aliceInitiates ? (_bob, _alice) : (_alice, _bob);
        var firstMeets = first.MeetAsync("blue-otter", null, CancellationToken.None);
        _scheduler.AdvanceBy(1 * Ms);
        var secondMeets = second.MeetAsync("blue-otter", null, CancellationToken.None);
        for (var elapsed = 0; elapsed < 200 && !(firstMeets.IsCompleted && secondMeets.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);
        await Task.WhenAll(firstMeets, secondMeets).WaitAsync(WaitLimit);
        Assert.Equal(aliceInitiates ? HandshakeRole.Initiator : HandshakeRole.Responder, _alice.Role);
        Assert.Equal([BobPublic], _alice.PeerCandidates);
        Assert.DoesNotContain(AlicePrflx, _bob.PeerCandidates);
    }

    /// <summary>The datagram alice's initiator hello would be, from a channel of her key that sends nowhere.</summary>
    private Task<byte[]> CapturedAliceHelloAsync()
    {
        byte[]? captured = null;
        using var channel = SecureDatagramChannel.Connect(new NoiseSecurity(_aliceKey), BobPublic, (datagram, _, _) =>
        {
            captured ??= datagram.ToArray();
            return ValueTask.CompletedTask;
        }, null, _scheduler);
        return Task.FromResult(captured ?? throw new InvalidOperationException("no hello was sent"));
    }

    private Task<PunchResult> StartPunching(PunchAttempt attempt, DatagramChannelOptions options)
    {
        var key = attempt == _alice ? _aliceKey : _bobKey;
        var punching = attempt.PunchAsync(new NoiseSecurity(key), attempt.Match!, options, null, CancellationToken.None);
        _scheduler.AdvanceBy(0);
        return punching;
    }

    private Task<(PunchResult Alice, PunchResult Bob)> PunchBothAsync(int advanceUntilDone)
    {
        var bob = StartPunching(_bob!, AdmitOnly(_aliceKey));
        var alice = StartPunching(_alice!, AdmitOnly(_bobKey));
        return FinishAsync(alice, bob, advanceUntilDone);
    }

    private async Task<(PunchResult Alice, PunchResult Bob)> FinishAsync(Task<PunchResult> alice, Task<PunchResult> bob, int advanceUntilDone)
    {
        for (var elapsed = 0; elapsed < advanceUntilDone && !(alice.IsCompleted && bob.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);
        return (await alice.WaitAsync(WaitLimit), await bob.WaitAsync(WaitLimit));
    }
}
