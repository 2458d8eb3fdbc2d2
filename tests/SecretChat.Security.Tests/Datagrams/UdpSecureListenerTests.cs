using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
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
        using var stranger = new Stranger(IPAddress.Loopback, listener.LocalEndPoint);

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
        var strangers = Enumerable.Range(2, 4).Select(i => new Stranger(IPAddress.Parse($"127.0.0.{i}"), listener.LocalEndPoint)).ToList();
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
                    stranger.Send(Packet(PacketHeader.Data(round, round), new byte[40]));
                    stranger.Send(Packet(PacketHeader.Reject(round), "no"u8));
                    stranger.Send(Packet(PacketHeader.Cookie(round), new byte[16]));
                    stranger.Send([0xFF]);
                    stranger.Send([(byte)PacketType.InitiatorHello, 0, 0, 0, 1, .. new byte[16], .. "garbage"u8]);
                    stranger.Send(Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 100 + (int)round));
                }
            }
            foreach (var stranger in strangers)
                await stranger.DrainAsync(mode);
            scheduler.AdvanceBy((DatagramChannelOptions.Default.HandshakeTimeout * 2).Ticks);
            foreach (var stranger in strangers)
                await stranger.DrainAsync(mode);

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
        using var stranger = new Stranger(IPAddress.Loopback, listener.LocalEndPoint);

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
    public async Task RealPeer_WhileStrangersSendHellosAndHoldHalfOpenHandshakes_GetsInWithinTwoSeconds(string mode)
    {
        // Strangers that proved their address and went silent hold half-open handshakes; others send a hello every
        // 100 ms from new ports. The real peer's handshake runs beside them and is the one accepted.
        using var pool = new RsaKeyPool();
        var module = Module(mode, pool);
        await using var listener = UdpSecureListener.Bind(AnyLoopback, module);
        var accepting = listener.AcceptAsync();
        var halfOpen = Enumerable.Range(0, 8).Select(i => new Stranger(IPAddress.Parse($"127.0.0.{2 + i % 4}"), listener.LocalEndPoint)).ToList();
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

            var stopwatch = Stopwatch.StartNew();
            await using var peer = UdpSecureChannel.Connect(Module(mode, pool), listener.LocalEndPoint);
            await using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(2));
            await peer.Established.WaitAsync(TimeSpan.FromSeconds(2) > stopwatch.Elapsed ? TimeSpan.FromSeconds(2) - stopwatch.Elapsed : TimeSpan.Zero);
            stopwatch.Stop();

            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
            Assert.True(listener.Statistics.HandshakesStarted >= halfOpen.Count + 1);
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
        using var stranger = new Stranger(IPAddress.Parse("127.0.0.3"), listener.LocalEndPoint);
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
    public async Task FullTable_AProvenNewcomer_IsToldTheListenerIsBusyAndGetsNoState()
    {
        await using var listener = UdpSecureListener.Bind(AnyLoopback, new PseudoSecurity(), scheduler: new TestScheduler());
        var strangers = Enumerable.Range(0, UdpSecureListener.MaxPendingHandshakes + 1)
            .Select(i => new Stranger(IPAddress.Parse($"127.0.0.{2 + i % 8}"), listener.LocalEndPoint)).ToList();
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
                using var stranger = new Stranger(IPAddress.Parse($"127.0.0.{6 + id % 4}"), listener);
                stranger.Send(InitiatorHello(id++, default, mode));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The cookie the listener gives <paramref name="stranger"/>'s address (its answer to a fresh hello).</summary>
    private static async Task<AddressCookie> CookieForAsync(Stranger stranger, string mode)
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

    /// <summary>A source on loopback that sends what it is told and counts every byte both ways; it never echoes a cookie unless told.</summary>
    private sealed class Stranger : IDisposable
    {
        private const uint Sentinel = 0x5E5E5E5E;
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly IPEndPoint _listener;
        private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>();
        private readonly CancellationTokenSource _stop = new();
        private long _sent;
        private long _received;

        public Stranger(IPAddress address, IPEndPoint listener)
        {
            _listener = listener;
            _socket.Bind(new IPEndPoint(address, 0));
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _ = ReceiveAsync();
        }

        public IPEndPoint LocalEndPoint { get; }
        public long BytesSent => Interlocked.Read(ref _sent);
        public long BytesReceived => Interlocked.Read(ref _received);
        public List<byte[]> Received { get; } = [];

        public void Send(byte[] datagram)
        {
            Interlocked.Add(ref _sent, datagram.Length);
            _socket.SendTo(datagram, _listener);
        }

        public async Task<byte[]> NextAsync()
        {
            var datagram = await _inbox.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Default);
            Received.Add(datagram);
            return datagram;
        }

        /// <summary>
        /// Reads every answer up to the one for a fresh hello: the listener handles a source's datagrams in order and
        /// loopback keeps them in order, so all answers to what came before have arrived by then.
        /// </summary>
        public async Task DrainAsync(string mode)
        {
            Send(InitiatorHello(Sentinel, default, mode));
            while (true)
            {
                var answer = await NextAsync();
                if (PacketCodec.TryDecode(answer, out var header, out _, out _) && header == PacketHeader.Cookie(Sentinel))
                    return;
            }
        }

        public override string ToString() => LocalEndPoint.ToString();

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    Interlocked.Add(ref _received, result.ReceivedBytes);
                    _inbox.Writer.TryWrite(buffer.AsSpan(0, result.ReceivedBytes).ToArray());
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                _inbox.Writer.TryComplete();
            }
        }
    }
}
