using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Framing.Packets;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// The UDP listener against strangers, on loopback with real sockets: return routability before state (a stateless
/// cookie, no reply larger than the request toward an unproven source, rejects rate limited, no RSA key spent), and
/// many handshakes at once (a real peer gets in while strangers send hellos and hold half-open handshakes). Forged
/// sources are sockets on other loopback addresses (127.0.0.x) and ports that never echo a cookie.
/// </summary>
public sealed class UdpSecureListenerTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    public static TheoryData<string> Modes => ["noise", "rsa", "pseudo"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Hello_FromAnUnprovenSource_OneCookieNoLargerThanTheHelloAndNoState(string mode)
    {
        using var pool = new RsaKeyPool();
        await using var listener = UdpSecureListener.Bind(AnyLoopback, Module(mode, pool), scheduler: new TestScheduler());
        using var stranger = new UdpStranger(IPAddress.Loopback, listener.LocalEndPoint);

        var hello = InitiatorHello(7, default, mode);
        stranger.Send(hello);
        var answer = await stranger.NextAsync();

        Assert.Equal(PacketCodec.CookiePacketSize, answer.Length);
        Assert.True(answer.Length <= hello.Length);
        var header = PacketCodec.Decode(answer, out var cookie);
        Assert.Equal(PacketHeader.Cookie(7), header);
        Assert.False(AddressCookie.Read(cookie).IsNone);
        var statistics = listener.Statistics;
        Assert.Equal((1, 0, 0), (statistics.CookiesSent, statistics.HandshakesStarted, statistics.Pending));
        Assert.Equal(0, pool.Taken);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Flood_FromForgedSources_AmplificationAtMostOneNoStateNoKeyAndRejectsRateLimited(string mode)
    {
        // Hellos of the right mode (no cookie, a made-up cookie, another source's cookie), hellos of the wrong mode
        // or version (in both hello packets), garbage and stray packets of every type, from four addresses and ports;
        // then virtual time runs past the handshake timeout, in case anything had kept state and retransmitted.
        var scheduler = new TestScheduler();
        using var pool = new RsaKeyPool();
        await using var listener = UdpSecureListener.Bind(AnyLoopback, Module(mode, pool), scheduler: scheduler);
        var failures = new List<UdpHandshakeFailure>();
        var accepting = listener.AcceptAsync(f => { lock (failures) failures.Add(f); });
        var strangers = Enumerable.Range(2, 4).Select(i => new UdpStranger(IPAddress.Parse($"127.0.0.{i}"), listener.LocalEndPoint)).ToList();
        try
        {
            var otherSourcesCookie = await CookieForAsync(strangers[0], mode);
            var wrongMode = mode == "noise" ? "rsa" : "noise";
            var wrongModeHellos = 0;
            for (uint round = 0; round < 10; round++)
            {
                foreach (var stranger in strangers)
                {
                    stranger.Send(InitiatorHello(round, default, mode));
                    stranger.Send(InitiatorHello(round, new AddressCookie(round + 1, 42), mode));
                    if (stranger != strangers[0])
                        stranger.Send(InitiatorHello(round, otherSourcesCookie, mode));
                    stranger.Send(InitiatorHello(round, default, wrongMode));
                    stranger.Send(InitiatorHello(round, otherSourcesCookie, wrongMode));
                    stranger.Send(Packet(PacketHeader.Handshake(round, 0), new ProtocolHello([2], wrongMode, HandshakeRole.Initiator).Bytes));
                    stranger.Send(Packet(PacketHeader.Handshake(round, 0), "SCHT\x01\x01\x00"u8)); // version 1: 13 bytes in all
                    stranger.Send(Packet(PacketHeader.Handshake(round, 0), ProtocolHello.Local(Module(mode, pool), HandshakeRole.Responder).Bytes));
                    wrongModeHellos += 5;
                    stranger.Send(Packet(PacketHeader.Handshake(round, 1), new byte[48]));
                    // Fragments of a hybrid handshake message (index 1 with the fragment bit), both halves, from an unproven source.
                    stranger.Send(Packet(PacketHeader.Handshake(round, 0x81), [0, 2, .. new byte[1164]]));
                    stranger.Send(Packet(PacketHeader.Handshake(round, 0x81), [1, 2, .. new byte[24]]));
                    stranger.Send(Packet(PacketHeader.Data(round, round), new byte[40]));
                    stranger.Send(Packet(PacketHeader.Reject(round), "no"u8));
                    stranger.Send(Packet(PacketHeader.Cookie(round), new byte[16]));
                    stranger.Send([0xFF]);
                    stranger.Send([(byte)PacketType.InitiatorHello, 0, 0, 0, 1, .. new byte[16], .. "garbage"u8]);
                    stranger.Send(Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 100 + (int)round));
                }
            }
            foreach (var stranger in strangers)
                await DrainAsync(stranger, mode);
            scheduler.AdvanceBy((DatagramChannelOptions.Default.HandshakeTimeout * 2).Ticks);
            foreach (var stranger in strangers)
                await DrainAsync(stranger, mode);

            foreach (var stranger in strangers)
            {
                Assert.True(stranger.BytesReceived <= stranger.BytesSent,
                    $"{stranger}: {stranger.BytesReceived} bytes back for {stranger.BytesSent} sent");
                Assert.All(stranger.Received, answer => Assert.True(answer[0] is (byte)PacketType.Cookie or (byte)PacketType.Reject));
            }
            var amplification = (double)strangers.Sum(s => s.BytesReceived) / strangers.Sum(s => s.BytesSent);
            Assert.InRange(amplification, 0, 1.0);
            var statistics = listener.Statistics;
            Assert.Equal(0, statistics.HandshakesStarted);
            Assert.Equal(0, statistics.Pending);
            Assert.Equal(0, pool.Taken);
            // Rejects and their reports: the burst, no more, while the (virtual) clock stood still during the flood.
            Assert.Equal((long)UdpSecureListener.RejectsPerSecond, statistics.RejectsSent);
            Assert.Equal(wrongModeHellos - statistics.RejectsSent, statistics.RejectsSuppressed);
            Assert.Equal(statistics.RejectsSent, strangers.Sum(s => s.Received.Count(a => a[0] == (byte)PacketType.Reject)));
            lock (failures)
                Assert.Equal(statistics.RejectsSent, failures.Count);
            Assert.False(accepting.IsCompleted);
        }
        finally
        {
            foreach (var stranger in strangers)
                stranger.Dispose();
        }
    }

    [Fact]
    public async Task Reject_ToAnUnprovenSource_NoLargerThanTheRequestAndNamesTheReason()
    {
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new PseudoSecurity(), scheduler: new TestScheduler());
        var failures = new List<UdpHandshakeFailure>();
        _ = listener.AcceptAsync(failures.Add);
        using var stranger = new UdpStranger(IPAddress.Loopback, listener.LocalEndPoint);

        var legacy = Packet(PacketHeader.Handshake(3, 0), "SCHT\x01\x01\x00"u8);
        stranger.Send(legacy);
        var reject = await stranger.NextAsync();
        var wrongMode = InitiatorHello(4, default, "noise");
        stranger.Send(wrongMode);
        var longer = await stranger.NextAsync();

        Assert.Equal(13, legacy.Length);
        Assert.Equal(PacketHeader.Reject(3), PacketCodec.Decode(reject, out _));
        Assert.True(reject.Length <= legacy.Length);
        Assert.Equal(PacketHeader.Reject(4), PacketCodec.Decode(longer, out var reason));
        Assert.True(longer.Length <= wrongMode.Length);
        Assert.StartsWith("The peer ", Encoding.UTF8.GetString(reason));
        Assert.Equal(2, failures.Count);
        Assert.Contains("encryption", failures[1].Error.Message);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task RealPeer_WhileStrangersSendHellosAndHoldHalfOpenHandshakes_GetsInWhileTheyHoldThem(string mode)
    {
        // Strangers that proved their address and went silent hold half-open handshakes; others send a hello every
        // 100 ms from new ports. The real peer's handshake runs beside them and is the one accepted. The listener gives
        // each handshake far longer than the test takes, so none can time out to make room; how fast is not asserted.
        using var pool = new RsaKeyPool();
        var module = Module(mode, pool);
        await using var listener = UdpSecureListener.Bind(AnyLoopback, module, DatagramChannelOptions.Default with { HandshakeTimeout = TimeSpan.FromSeconds(60) });
        var accepting = listener.AcceptAsync();
        var halfOpen = Enumerable.Range(0, 8).Select(i => new UdpStranger(IPAddress.Parse($"127.0.0.{2 + i % 4}"), listener.LocalEndPoint)).ToList();
        using var stop = new CancellationTokenSource();
        Task? hellos = null;
        try
        {
            foreach (var stranger in halfOpen)
            {
                var cookie = await CookieForAsync(stranger, mode);
                stranger.Send(InitiatorHello(99, cookie, mode));
                if (mode == "rsa")
                    await stranger.NextAsync(); // rsa's responder writes first: its hello and public key
            }
            await WaitUntilAsync(() => listener.Statistics.HandshakesStarted == halfOpen.Count);
            if (mode == "rsa")
                await pool.WarmAsync().WaitAsync(Timeouts.Default); // the strangers emptied it; the real peer's key is ready
            hellos = SendHellosEvery100MsAsync(listener.LocalEndPoint, mode, stop.Token);

            await using var peer = UdpSecureChannel.Connect(Module(mode, pool), listener.LocalEndPoint);
            await using var accepted = await accepting.WaitAsync(Timeouts.Default);
            await peer.Established.WaitAsync(Timeouts.Default);

            Assert.True(listener.Statistics.HandshakesStarted >= halfOpen.Count + 1);
            Assert.Equal(halfOpen.Count, listener.Statistics.Pending); // every stranger still in its handshake
            await AssertDeliversAsync(peer, accepted, "hello from the real peer");
        }
        finally
        {
            await stop.CancelAsync();
            if (hellos is not null)
                await hellos;
            foreach (var stranger in halfOpen)
                stranger.Dispose();
        }
    }

    [Fact]
    public async Task TwoPeers_BothAccepted_TheFirstKeepsReceivingAfterTheSecondGotIn()
    {
        // Before: the socket fed only the newest channel, so the first session went deaf when the listener accepted again.
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new NoiseSecurity(StaticKeyPair.Generate()));
        await using var alice = UdpSecureChannel.Connect(new NoiseSecurity(StaticKeyPair.Generate()), listener.LocalEndPoint);
        await using var forAlice = await listener.AcceptAsync().WaitAsync(Timeouts.Default);
        await using var carol = UdpSecureChannel.Connect(new NoiseSecurity(StaticKeyPair.Generate()), listener.LocalEndPoint);
        await using var forCarol = await listener.AcceptAsync().WaitAsync(Timeouts.Default);

        await AssertDeliversAsync(alice, forAlice, "alice, after carol got in");
        await AssertDeliversAsync(carol, forCarol, "carol");
        await AssertDeliversAsync(forAlice, alice, "to alice");
        Assert.Equal(0, listener.Statistics.Pending);
    }

    [Fact]
    public async Task HalfOpenHandshake_ExpiresAtTheHandshakeTimeout_AndFreesItsPlace()
    {
        var scheduler = new TestScheduler();
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new NoiseSecurity(StaticKeyPair.Generate()), scheduler: scheduler);
        var expired = new TaskCompletionSource<UdpHandshakeFailure>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = listener.AcceptAsync(f => expired.TrySetResult(f));
        using var stranger = new UdpStranger(IPAddress.Parse("127.0.0.3"), listener.LocalEndPoint);
        stranger.Send(InitiatorHello(5, await CookieForAsync(stranger, "noise"), "noise"));
        await WaitUntilAsync(() => listener.Statistics.HandshakesStarted == 1);

        scheduler.AdvanceBy((DatagramChannelOptions.Default.HandshakeTimeout - TimeSpan.FromMilliseconds(1)).Ticks);
        Assert.False(expired.Task.IsCompleted);
        Assert.Equal(1, listener.Statistics.Pending);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
        var failure = await expired.Task.WaitAsync(Timeouts.Default);

        Assert.IsType<HandshakeTimeoutException>(failure.Error);
        Assert.Equal(stranger.LocalEndPoint, failure.Peer);
        await WaitUntilAsync(() => listener.Statistics.Pending == 0);
    }

    [Fact]
    public async Task Failures_ManyAtOnce_TheCallbackIsNeverEnteredTwiceAtOnce()
    {
        // 32 half-open handshakes time out at one virtual instant; each one's report runs on the thread pool, and
        // wrong-mode hellos are refused on the socket's thread meanwhile. Before, two reports could run at once.
        const int halfOpen = 32;
        var scheduler = new TestScheduler();
        var probe = new OverlapProbe();
        var reported = new ArrivalCount();
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new PseudoSecurity(), scheduler: scheduler, failed: _ =>
        {
            probe.Enter();
            reported.Increment();
        });
        var strangers = Enumerable.Range(0, halfOpen)
            .Select(i => new UdpStranger(IPAddress.Parse($"127.0.0.{2 + i % 8}"), listener.LocalEndPoint)).ToList();
        using var refused = new UdpStranger(IPAddress.Parse("127.0.0.10"), listener.LocalEndPoint);
        try
        {
            foreach (var stranger in strangers)
                stranger.Send(InitiatorHello(1, await CookieForAsync(stranger, "pseudo"), "pseudo"));
            await WaitUntilAsync(() => listener.Statistics.HandshakesStarted == halfOpen);

            scheduler.AdvanceBy((DatagramChannelOptions.Default.HandshakeTimeout + TimeSpan.FromSeconds(1)).Ticks);
            for (uint i = 0; i < 5; i++)
                refused.Send(InitiatorHello(i, default, "noise")); // the burst of rejects, each reported
            await reported.WhenAtLeastAsync(halfOpen + 5).WaitAsync(Timeouts.Default);

            Assert.Equal(0, probe.Overlaps);
            Assert.Equal(halfOpen + 5, probe.Calls);
        }
        finally
        {
            foreach (var stranger in strangers)
                stranger.Dispose();
        }
    }

    [Fact]
    public async Task FullTable_AProvenNewcomer_IsToldTheListenerIsBusyAndGetsNoState()
    {
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new PseudoSecurity(), scheduler: new TestScheduler());
        var strangers = Enumerable.Range(0, UdpSecureListener.MaxPendingHandshakes + 1)
            .Select(i => new UdpStranger(IPAddress.Parse($"127.0.0.{2 + i % 8}"), listener.LocalEndPoint)).ToList();
        try
        {
            // Pseudo's responder waits for the initiator's first message, so a hello alone holds a place.
            foreach (var stranger in strangers.SkipLast(1))
                stranger.Send(InitiatorHello(1, await CookieForAsync(stranger, "pseudo"), "pseudo"));
            await WaitUntilAsync(() => listener.Statistics.HandshakesStarted == UdpSecureListener.MaxPendingHandshakes);
            var newcomer = strangers[^1];
            newcomer.Send(InitiatorHello(2, await CookieForAsync(newcomer, "pseudo"), "pseudo"));
            var answer = await newcomer.NextAsync();

            Assert.Equal(PacketHeader.Reject(2), PacketCodec.Decode(answer, out var reason));
            Assert.Contains("busy", Encoding.UTF8.GetString(reason));
            var statistics = listener.Statistics;
            Assert.Equal((1, UdpSecureListener.MaxPendingHandshakes, UdpSecureListener.MaxPendingHandshakes),
                (statistics.Busy, statistics.HandshakesStarted, statistics.Pending));
        }
        finally
        {
            foreach (var stranger in strangers)
                stranger.Dispose();
        }
    }

    private static async Task AssertDeliversAsync(ISecureChannel from, ISecureChannel to, string text)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = to.Messages.Subscribe(m => received.TrySetResult(Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(m))), e => received.TrySetException(e));
        await from.SendAsync(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, await received.Task.WaitAsync(Timeouts.Default));
    }

    private static async Task SendHellosEvery100MsAsync(IPEndPoint listener, string mode, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        uint id = 1000;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                using var stranger = new UdpStranger(IPAddress.Parse($"127.0.0.{6 + id % 4}"), listener);
                stranger.Send(InitiatorHello(id++, default, mode));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The cookie the listener gives <paramref name="stranger"/>'s address (its answer to a fresh hello).</summary>
    private static async Task<AddressCookie> CookieForAsync(UdpStranger stranger, string mode)
    {
        const uint asking = 0xC0C0C0C0;
        stranger.Send(InitiatorHello(asking, default, mode));
        while (true)
        {
            var answer = await stranger.NextAsync();
            if (PacketCodec.TryDecode(answer, out var header, out var body, out _) && header == PacketHeader.Cookie(asking))
                return AddressCookie.Read(body);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // The listener works on its socket's thread: poll its statistics (bounded), never sleep for a fixed time.
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Timeouts.Default, "the listener did not get there in time");
            await Task.Yield();
            await Task.Delay(1);
        }
    }

    private static ISecurityModule Module(string mode, RsaKeyPool pool) => mode switch
    {
        "noise" => new NoiseSecurity(StaticKeyPair.Generate()),
        "rsa" => new RsaSecurity(pool),
        _ => new PseudoSecurity(),
    };

    private static byte[] InitiatorHello(uint sessionId, AddressCookie cookie, string mode)
    {
        var hello = new ProtocolHello(ProtocolHello.SupportedVersions, mode, HandshakeRole.Initiator).Bytes;
        var body = new byte[PacketCodec.CookieSize + hello.Length];
        cookie.Write(body);
        hello.CopyTo(body.AsSpan(PacketCodec.CookieSize));
        return Packet(PacketHeader.InitiatorHello(sessionId), body);
    }

    private static byte[] Packet(PacketHeader header, ReadOnlySpan<byte> body)
    {
        var packet = new byte[PacketCodec.EncodedSize(header, body.Length)];
        PacketCodec.Encode(header, body, packet);
        return packet;
    }

    private const uint Sentinel = 0x5E5E5E5E;

    /// <summary>
    /// Reads every answer up to the one for a fresh hello: the listener handles a source's datagrams in order and
    /// loopback keeps them in order, so all answers to what came before have arrived by then.
    /// </summary>
    private static async Task DrainAsync(UdpStranger stranger, string mode)
    {
        stranger.Send(InitiatorHello(Sentinel, default, mode));
        await stranger.NextAsync(answer => PacketCodec.TryDecode(answer, out var header, out _, out _) && header == PacketHeader.Cookie(Sentinel));
    }
}
