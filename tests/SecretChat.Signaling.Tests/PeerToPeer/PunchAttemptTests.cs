using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Signaling.PeerToPeer;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>Meeting, punching and keeping the best path, in virtual time over a virtual internet with a real signaling server.</summary>
public sealed class PunchAttemptTests : IAsyncDisposable
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private static readonly IPEndPoint AliceHost = IPEndPoint.Parse("192.168.1.2:40000");
    private static readonly IPEndPoint AlicePublic = IPEndPoint.Parse("198.51.100.1:50000");
    private static readonly IPEndPoint BobHost = IPEndPoint.Parse("192.168.7.3:41000");
    private static readonly IPEndPoint BobPublic = IPEndPoint.Parse("203.0.113.5:51000");
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly TestScheduler _scheduler = new();
    private readonly VirtualInternet _internet;
    private PunchAttempt? _alice;
    private PunchAttempt? _bob;
    private PeerSocket? _aliceSocket;

    public PunchAttemptTests() => _internet = new VirtualInternet(_scheduler);

    [Fact]
    public async Task PunchAsync_NoDirectPath_ProbesEveryCandidateEvery100msHostCandidatesFirst()
    {
        await MeetAsync(withRelay: false);
        _internet.Blocks = BetweenThePeers;
        var start = _scheduler.Clock;

        var punching = StartPunching(_alice!);
        _scheduler.AdvanceBy(2500 * Ms);

        var probes = _internet.Sent.Where(s => s.From.Equals(AliceHost) && s.At >= start && s.Bytes[0] == 0x50).ToList();
        var first = probes[0].At;
        Assert.Equal(start, first); // with no punch delay the punch begins in the call itself, at this very instant
        Assert.Equal(Enumerable.Range(0, 20).SelectMany(k => new[] { first + k * 100 * Ms, first + k * 100 * Ms }), probes.Select(p => p.At));
        Assert.All(probes.Chunk(2), round => Assert.Equal([BobHost, BobPublic], round.Select(p => p.To)));

        _scheduler.AdvanceBy(8 * 1000 * Ms);
        var error = await Assert.ThrowsAsync<HandshakeException>(() => punching.WaitAsync(WaitLimit));
        Assert.StartsWith("Hole punching failed", error.Message);
    }

    [Fact]
    public async Task PunchAsync_ReflexiveAddressAnswers_ChoosesTheDirectPath()
    {
        await MeetAsync();

        var (alice, bob) = await PunchBothAsync();

        Assert.False(alice.Relayed);
        Assert.Null(alice.DirectFailure);
        Assert.Equal(BobPublic, alice.Channel.RemoteEndPoint);
        Assert.Equal(AlicePublic, bob.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PunchAsync_NoDirectPath_HandshakeResentOnTheProbesScheduleThenWithBackoff()
    {
        await MeetAsync(withRelay: false);
        _internet.Blocks = BetweenThePeers;
        var start = _scheduler.Clock;

        var punching = StartPunching(_alice!);
        _scheduler.AdvanceBy(3000 * Ms);

        // The hello (with its cookie field) and the first handshake message, toward the reflexive candidate: ten times
        // 100 ms apart (one second of punching), then the doubling from 250 ms.
        var flights = _internet.Sent
            .Where(s => s.From.Equals(AliceHost) && s.To.Equals(BobPublic) && s.At >= start && s.Bytes[0] == (byte)PacketType.InitiatorHello)
            .Select(s => (s.At - start) / Ms);
        Assert.Equal([0L, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1250, 1750, 2750], flights);
        _scheduler.AdvanceBy(8 * 1000 * Ms);
        await Assert.ThrowsAsync<HandshakeException>(() => punching.WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task PunchAsync_FirstFlightDiesAtThePeersNat_DirectWithinOneProbeIntervalMore()
    {
        // Cone NATs punched at the same instant: the initiator's first flight reaches bob's NAT before bob's own punch
        // opened it. The retransmission on the probes' schedule gets through 100 ms later, not 250 ms later.
        await MeetAsync();
        var start = _scheduler.Clock;
        _internet.Blocks = (from, to) => from.Equals(AlicePublic) && to.Equals(BobPublic) && _scheduler.Clock - start < 50 * Ms;

        var (alice, bob) = await PunchBothAsync();

        Assert.False(alice.Relayed);
        Assert.Equal(AlicePublic, bob.Channel.RemoteEndPoint);
        // Bob answered the second flight (sent at 100 ms), so no third one left: the old first retransmission came at 250 ms.
        var flights = _internet.Sent
            .Where(s => s.From.Equals(AliceHost) && s.To.Equals(BobPublic) && s.At >= start && s.Bytes[0] == (byte)PacketType.InitiatorHello)
            .Select(s => (s.At - start) / Ms);
        Assert.Equal([0L, 100], flights);
        var answered = _internet.Sent.First(s => s.From.Equals(BobHost) && s.To.Equals(AlicePublic) && s.At >= start && s.Bytes[0] == (byte)PacketType.Handshake);
        Assert.InRange((answered.At - start) / Ms, 100, 150);
    }

    [Fact]
    public async Task PunchAsync_NoDirectPath_RunsTheHandshakeThroughTheRelayAfter2s()
    {
        await MeetAsync();
        _internet.Blocks = BetweenThePeers;
        var start = _scheduler.Clock;

        var (alice, _) = await PunchBothAsync(advanceUntilDone: 3000);

        Assert.True(alice.Relayed);
        Assert.Equal(VirtualInternet.Server, alice.Channel.RemoteEndPoint);
        Assert.Null(alice.DirectFailure!.Move);
        Assert.Equal(TimeSpan.FromSeconds(2), alice.DirectFailure.Waited);
        Assert.Equal([BobHost, BobPublic], alice.DirectFailure.Tried);
        var punchBegan = _internet.Sent.First(s => s.From.Equals(AliceHost) && s.At >= start && s.Bytes[0] == 0x50).At;
        var firstRelayed = _internet.Sent.First(s => s.From.Equals(AliceHost) && s.At >= start && s.Bytes[0] == (byte)SignalingPacketType.Relay);
        Assert.Equal(punchBegan + 2000 * Ms, firstRelayed.At);
    }

    [Fact]
    public async Task PunchAsync_DirectAndRelayHandshakesFinishTogether_BothSidesKeepTheSamePath()
    {
        // The initiator's direct hello is retransmitted 2020 ms after the first, so its answer arrives at the very
        // instant the relayed one does (relay fallback at 2000 ms, two hops each way): both handshakes can finish
        // together at the initiator. Its direct last message is lost, so the responder would see the relayed one first.
        // The fast retransmissions on the probes' schedule are off here: the timing is the test's.
        await MeetAsync(options: PeerToPeerOptions.Default with { HandshakeFastRetransmits = 0 });
        var start = _scheduler.Clock;
        _internet.Blocks = (from, to) =>
        {
            if (!(from.Equals(AlicePublic) && to.Equals(BobPublic)))
                return false;
            var at = (_scheduler.Clock - start) / Ms;
            return at < 2000 || (at >= 2035 && at <= 2045);
        };
        var options = DatagramChannelOptions.Default with { RetransmitInitial = TimeSpan.FromMilliseconds(2020), RetransmitMax = TimeSpan.FromSeconds(4) };

        using var keys = new PeerKeys();
        var bob = _bob!.PunchAsync(new NoiseSecurity(keys.Bob), _bob.Match!, options, null, CancellationToken.None);
        var alice = _alice!.PunchAsync(new NoiseSecurity(keys.Alice), _alice.Match!, options, null, CancellationToken.None);
        for (var elapsed = 0; elapsed < 20_000 && !(alice.IsCompleted && bob.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);
        var (atAlice, atBob) = (await alice.WaitAsync(WaitLimit), await bob.WaitAsync(WaitLimit));

        Assert.Equal(atAlice.Relayed, atBob.Relayed);
        Assert.Equal(atAlice.Relayed ? VirtualInternet.Server : BobPublic, atAlice.Channel.RemoteEndPoint);
        Assert.Equal(atBob.Relayed ? VirtualInternet.Server : AlicePublic, atBob.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PeerPath_Relayed_ProbesTheCandidatesWithBackoffFrom1sTo16s()
    {
        await MeetAsync();
        _internet.Blocks = BetweenThePeers;
        var (alice, _) = await PunchBothAsync(advanceUntilDone: 3000);
        using var path = _alice!.ManagePath(alice);
        var managed = _scheduler.Clock;

        _scheduler.AdvanceBy(50 * 1000 * Ms);

        var pathProbes = _internet.Sent
            .Where(s => s.From.Equals(AliceHost) && s.At >= managed && s.To.Equals(BobPublic) && s.Bytes[0] == (byte)PacketType.Data)
            .Select(s => (s.At - managed) / Ms);
        Assert.Equal([1000L, 3000, 7000, 15000, 31000, 47000], pathProbes);
        Assert.Equal(PathKind.Relay, path.Path);
    }

    [Fact]
    public async Task PeerPath_DirectThenRelayedBySilence_WaitsTheFirstUpgradeTryBeforeProbing()
    {
        await MeetAsync();
        var (alice, _) = await PunchBothAsync();
        using var path = _alice!.ManagePath(alice);
        _internet.Blocks = BetweenThePeers;
        var moved = _scheduler.Clock;

        alice.Channel.SwitchPath(VirtualInternet.Server, PathMoveReason.DirectSilent);
        _scheduler.AdvanceBy(4000 * Ms);

        // The direct path just died: the first try comes after 1 s.
        var pathProbes = _internet.Sent
            .Where(s => s.From.Equals(AliceHost) && s.At >= moved && s.To.Equals(BobPublic) && s.Bytes[0] == (byte)PacketType.Data)
            .Select(s => (s.At - moved) / Ms);
        Assert.Equal([1000L, 3000], pathProbes);
    }

    [Fact]
    public async Task PeerPath_OnAnUnannouncedDirectAddressThenRelayed_ProbesThatAddressToo()
    {
        // A peer-reflexive address the session moved to after the handshake (a birthday hit, a NAT rebinding): when the
        // session later falls back to the relay, the upgrade probes it as well as the announced candidates.
        var learned = IPEndPoint.Parse("203.0.113.5:52000");
        await MeetAsync();
        var (alice, _) = await PunchBothAsync();
        using var path = _alice!.ManagePath(alice);
        _internet.Blocks = BetweenThePeers;

        alice.Channel.SwitchPath(learned, PathMoveReason.Roamed);
        Assert.Equal([BobHost, BobPublic, learned], path.ProbedAddresses);
        var moved = _scheduler.Clock;
        alice.Channel.SwitchPath(VirtualInternet.Server, PathMoveReason.DirectSilent);
        _scheduler.AdvanceBy(1500 * Ms);

        var probed = _internet.Sent
            .Where(s => s.From.Equals(AliceHost) && s.At >= moved && s.Bytes[0] == (byte)PacketType.Data && !s.To.Equals(VirtualInternet.Server))
            .Select(s => (s.To, (s.At - moved) / Ms));
        Assert.Equal([(BobHost, 1000L), (BobPublic, 1000L), (learned, 1000L)], probed);
    }

    [Fact]
    public async Task PeerPath_ManyUnannouncedDirectAddresses_KeepsTheLatestFewOnly()
    {
        await MeetAsync();
        var (alice, _) = await PunchBothAsync();
        using var path = _alice!.ManagePath(alice);
        _internet.Blocks = BetweenThePeers;

        var roamed = Enumerable.Range(0, 10).Select(k => new IPEndPoint(IPAddress.Parse("203.0.113.5"), 52000 + k)).ToList();
        foreach (var address in roamed)
            alice.Channel.SwitchPath(address, PathMoveReason.Roamed);

        Assert.Equal([BobHost, BobPublic, .. roamed.TakeLast(PeerPath.MaxLearnedAddresses)], path.ProbedAddresses);
    }

    [Fact]
    public async Task PeerPath_DirectPathSilentFor3sWhileSending_MovesToTheRelay()
    {
        await MeetAsync();
        var (alice, _) = await PunchBothAsync();
        using var path = _alice!.ManagePath(alice);
        var managed = _scheduler.Clock;
        var changes = new List<(long At, PathChange Change)>();
        using var watching = path.Changes.Subscribe(c => changes.Add((_scheduler.Clock, c)));
        _internet.Blocks = BetweenThePeers;
        for (var k = 0; k < 60; k++)
            _scheduler.ScheduleAbsolute(0, managed + 50 * Ms + k * 100 * Ms, (_, _) =>
            {
                _ = alice.Channel.SendAsync("still here"u8.ToArray());
                return System.Reactive.Disposables.Disposable.Empty;
            });

        _scheduler.AdvanceBy(3999 * Ms);
        Assert.Empty(changes);
        _scheduler.AdvanceBy(1 * Ms);

        var (at, change) = Assert.Single(changes);
        Assert.Equal(managed + 4000 * Ms, at);
        Assert.Equal(new PathChange(PathKind.Relay, VirtualInternet.Server, PathMoveReason.DirectSilent), change);
        Assert.Equal(VirtualInternet.Server, alice.Channel.RemoteEndPoint);
        Assert.Equal((PathMoveReason.DirectSilent, TimeSpan.FromSeconds(3)), (path.DirectFailure!.Move, path.DirectFailure.Waited));
    }

    [Fact]
    public async Task PunchAttempt_SessionPacketsFromAStranger_AreDroppedAndCounted()
    {
        await MeetAsync();
        var stranger = IPEndPoint.Parse("203.0.113.66:6666");
        var packet = new byte[PacketCodec.DataHeaderSize + 16];
        PacketCodec.WriteHeader(PacketHeader.Data(1, 0), packet);

        _internet.Inject(stranger, AlicePublic, packet);
        _scheduler.AdvanceBy(20 * Ms);
        var (alice, _) = await PunchBothAsync();

        Assert.Equal(1, _alice!.StrangerPackets);
        Assert.Equal(BobPublic, alice.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PeerSocket_ForgedRelayedPacketsFromTheServersAddress_DoNotReachTheSession()
    {
        await MeetAsync();
        _internet.Blocks = BetweenThePeers;
        var (alice, bob) = await PunchBothAsync(advanceUntilDone: 3000);
        Assert.True(alice.Relayed);
        var heard = new List<byte[]>();
        using var listening = alice.Channel.Payloads.Subscribe(p => heard.Add(p.ToArray()));
        var before = alice.Channel.Statistics.Received;

        // An off-path attacker forges the server's address: a bare session packet (a hello of a new session, and data),
        // and a Relayed packet naming Bob but without Alice's member token (it cannot know it).
        var hello = new byte[PacketCodec.DataHeaderSize + 16];
        PacketCodec.WriteHeader(PacketHeader.Handshake(0xBAD, 0), hello);
        var data = new byte[PacketCodec.DataHeaderSize + 16];
        PacketCodec.WriteHeader(PacketHeader.Data(alice.Channel.LocalSessionId, 99), data);
        var forgedRelayed = SignalingCodec.Encode(new RelayedPacket(MemberToken.New(), _alice!.Match!.Peer, data));
        _internet.Inject(VirtualInternet.Server, AlicePublic, hello);
        _internet.Inject(VirtualInternet.Server, AlicePublic, data);
        _internet.Inject(VirtualInternet.Server, AlicePublic, forgedRelayed);
        _scheduler.AdvanceBy(20 * Ms);

        Assert.Equal(2, _aliceSocket!.ForgedRelayDropped);
        Assert.Equal(before, alice.Channel.Statistics.Received); // none of the three reached the session
        // and the real relayed session goes on: Bob's next message arrives through the relay
        _ = bob.Channel.SendAsync("still bob"u8.ToArray());
        _scheduler.AdvanceBy(100 * Ms);
        Assert.Equal("still bob"u8.ToArray(), Assert.Single(heard));
        Assert.Equal(VirtualInternet.Server, alice.Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PunchAsync_AnotherHostWithAnotherKeyAnswersAtAHostCandidate_RefusedAndTheNextCandidateWins()
    {
        await MeetAsync(withRelay: false);
        using var keys = new PeerKeys();
        // On Alice's LAN another host has Bob's private address and answers there, with a key of its own.
        var impostor = Impostor(at: BobHost, keys.Impostor);

        var bob = _bob!.PunchAsync(new NoiseSecurity(keys.Bob), _bob.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var alice = _alice!.PunchAsync(new NoiseSecurity(keys.Alice), _alice.Match!, keys.AdmitOnly(keys.Bob), null, CancellationToken.None);
        for (var elapsed = 0; elapsed < 1000 && !(alice.IsCompleted && bob.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);

        var result = await alice.WaitAsync(WaitLimit);
        // Alice refused the impostor's key before her last handshake message: its side never gets a session...
        Assert.False(impostor.Established.IsCompleted);
        Assert.Equal(BobPublic, result.Channel.RemoteEndPoint); // ...and she took Bob's public address
        Assert.Equal(keys.Bob.PublicKey.ToArray(), (await result.Channel.Established).RemoteStaticKey.ToArray());
        Assert.Equal(AlicePublic, (await bob.WaitAsync(WaitLimit)).Channel.RemoteEndPoint);
    }

    [Fact]
    public async Task PunchAsync_OnlyARefusedPeerAnswers_FailsWithTheRefusalOnceEveryCandidateIsExhausted()
    {
        await MeetAsync(withRelay: false);
        using var keys = new PeerKeys();
        var impostor = Impostor(at: BobHost, keys.Impostor);
        _internet.Blocks = (from, to) => from.Equals(BobPublic) || to.Equals(BobPublic);

        var alice = _alice!.PunchAsync(new NoiseSecurity(keys.Alice), _alice.Match!, keys.AdmitOnly(keys.Bob), null, CancellationToken.None);
        _scheduler.AdvanceBy(5000 * Ms);
        Assert.False(impostor.Established.IsCompleted); // refused before Alice's last message: it never completes
        Assert.False(alice.IsCompleted); // Bob's public address has not answered yet: still a candidate
        _scheduler.AdvanceBy(6000 * Ms);

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() => alice.WaitAsync(WaitLimit));
        Assert.Equal(PeerKeys.Refusal, error.Message);
    }

    [Fact]
    public async Task PunchAsync_RefusedHostTakesTheRespondersDirectPath_TheRealPeerStillGetsIn()
    {
        await MeetAsync(withRelay: false);
        using var keys = new PeerKeys();
        var bob = _bob!.PunchAsync(new NoiseSecurity(keys.Bob), _bob.Match!, keys.AdmitOnly(keys.Alice), null, CancellationToken.None);
        _scheduler.AdvanceBy(0);
        // A host with Alice's private address on Bob's LAN says hello first, with another key.
        var impostorSocket = _internet.Attach(IPEndPoint.Parse("10.9.9.9:40000"), AliceHost);
        var impostor = SecureDatagramChannel.Connect(new NoiseSecurity(keys.Impostor), BobPublic, impostorSocket.SendAsync, null, _scheduler);
        impostorSocket.DeliverSessionPacketsTo((IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram) => impostor.Receive(from, header, datagram));
        _scheduler.AdvanceBy(200 * Ms);
        Assert.True(impostor.Established.IsCompletedSuccessfully);
        Assert.False(bob.IsCompleted);

        var alice = _alice!.PunchAsync(new NoiseSecurity(keys.Alice), _alice.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        for (var elapsed = 0; elapsed < 1000 && !(alice.IsCompleted && bob.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);

        Assert.Equal(AlicePublic, (await bob.WaitAsync(WaitLimit)).Channel.RemoteEndPoint);
        Assert.Equal(keys.Alice.PublicKey.ToArray(), (await (await bob).Channel.Established).RemoteStaticKey.ToArray());
        Assert.Equal(BobPublic, (await alice.WaitAsync(WaitLimit)).Channel.RemoteEndPoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (_alice is not null)
            await _alice.DisposeAsync();
        if (_bob is not null)
            await _bob.DisposeAsync();
        _internet.Dispose();
    }

    /// <summary>A responder with its own key whose datagrams come from (and go to) <paramref name="at"/> on the virtual internet.</summary>
    private SecureDatagramChannel Impostor(IPEndPoint at, StaticKeyPair key)
    {
        var socket = _internet.Attach(IPEndPoint.Parse("10.9.9.9:41000"), at);
        var responder = SecureDatagramChannel.Accept(new NoiseSecurity(key), socket.SendAsync, null, _scheduler);
        socket.DeliverSessionPacketsTo((IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram) => responder.Receive(from, header, datagram));
        return responder;
    }

    private sealed class PeerKeys : IDisposable
    {
        public const string Refusal = "REFUSED: that is not the key pinned for this peer.";

        public StaticKeyPair Alice { get; } = StaticKeyPair.Generate();
        public StaticKeyPair Bob { get; } = StaticKeyPair.Generate();
        public StaticKeyPair Impostor { get; } = StaticKeyPair.Generate();

        /// <summary>What a pinned verifier does: only <paramref name="pinned"/>'s key may have the session.</summary>
        public DatagramChannelOptions AdmitOnly(StaticKeyPair pinned) => new()
        {
            AdmitPeer = session => session.RemoteStaticKey.Span.SequenceEqual(pinned.PublicKey.Span) ? null : Refusal,
        };

        public void Dispose()
        {
            Alice.Dispose();
            Bob.Dispose();
            Impostor.Dispose();
        }
    }

    private static bool BetweenThePeers(IPEndPoint from, IPEndPoint to) =>
        !from.Equals(VirtualInternet.Server) && !to.Equals(VirtualInternet.Server);

    /// <summary>Bob registers first, then alice (so alice initiates); both are matched once the server's answers arrive.</summary>
    private async Task MeetAsync(bool withRelay = true, PeerToPeerOptions? options = null)
    {
        options ??= PeerToPeerOptions.Default;
        if (!withRelay)
            options = options with { RelayFallback = null };
        _bob = new PunchAttempt(_internet.Attach(BobHost, BobPublic), _scheduler, options);
        _aliceSocket = _internet.Attach(AliceHost, AlicePublic);
        _alice = new PunchAttempt(_aliceSocket, _scheduler, options);
        var bobMeets = _bob.MeetAsync("blue-otter", null, CancellationToken.None);
        _scheduler.AdvanceBy(1 * Ms);
        var aliceMeets = _alice.MeetAsync("blue-otter", null, CancellationToken.None);
        // Alice's Register reaches the server after one latency, the server's cookie comes back after another, her Register
        // with it takes a third, and the PeerInfo answers a fourth: the cookie round trip costs exactly one round trip.
        _scheduler.AdvanceBy(3 * 10 * Ms);
        Assert.False(aliceMeets.IsCompleted);
        _scheduler.AdvanceBy(1 * 10 * Ms);
        await Task.WhenAll(bobMeets, aliceMeets).WaitAsync(WaitLimit);
        Assert.Equal(HandshakeRole.Initiator, _alice.Role);
        Assert.Equal([BobHost, BobPublic], _alice.PeerCandidates);
    }

    private Task<PunchResult> StartPunching(PunchAttempt attempt)
    {
        var punching = attempt.PunchAsync(new PseudoSecurity(), attempt.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        _scheduler.AdvanceBy(0);
        return punching;
    }

    /// <summary>Both punch; time runs until the handshakes have had <paramref name="advanceUntilDone"/> ms, then both results are awaited.</summary>
    private async Task<(PunchResult Alice, PunchResult Bob)> PunchBothAsync(int advanceUntilDone = 500)
    {
        var bob = StartPunching(_bob!);
        var alice = StartPunching(_alice!);
        for (var elapsed = 0; elapsed < advanceUntilDone && !(alice.IsCompleted && bob.IsCompleted); elapsed += 10)
            _scheduler.AdvanceBy(10 * Ms);
        return (await alice.WaitAsync(WaitLimit), await bob.WaitAsync(WaitLimit));
    }
}
