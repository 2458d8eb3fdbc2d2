using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Tests;
using SecretChat.Transport.Turn;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>
/// Two p2p peers on 127.0.0.1 whose direct path is cut (each socket hears only the signaling server and the TURN
/// server), a real signaling server and a real coturn with <c>use-auth-secret</c>: the session relays through TURN.
/// </summary>
public sealed class TurnRelayLoopbackTests
{
    private const string Secret = "loopback-turn-secret";
    private static readonly TimeSpan Limit = Timeouts.Default;

    [CoturnFact]
    public async Task PunchAsync_NoDirectPathAndTheServerOffersTurn_RelaysThroughTurnOnBothSides()
    {
        await using var coturn = TurnServerProcess.StartRelay(Secret);
        await using var signal = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), WithTurn(coturn.EndPoint, Secret));
        await using var pair = await PairAsync(signal, coturn);

        var (alice, bob) = await pair.PunchAsync();

        Assert.True(alice.Relayed, coturn.Log);
        Assert.True(bob.Relayed, coturn.Log);
        // The relay candidate is the peer's relayed address at coturn (127.0.0.1, one of its relay ports), not the signaling server.
        Assert.NotEqual(signal.LocalEndPoint, alice.Channel.RemoteEndPoint);
        Assert.Equal(pair.Bob.Turn.Client!.RelayedAddress, alice.Channel.RemoteEndPoint);
        Assert.Equal(pair.Alice.Turn.Client!.RelayedAddress, bob.Channel.RemoteEndPoint);
        Assert.Equal(coturn.EndPoint, pair.Alice.TurnServer);
        Assert.Null(pair.Alice.TurnFailure);

        using var path = pair.Alice.ManagePath(alice);
        Assert.True(path.IsOnTurn);
        var report = path.Report(null).PeerToPeer!;
        Assert.Equal(coturn.EndPoint, report.TurnServer);
        Assert.Equal(coturn.EndPoint, report.Relay);

        // Sealed datagrams both ways through the two allocations.
        var atBob = bob.Channel.Payloads.Select(p => Encoding.UTF8.GetString(p.Span)).FirstAsync().ToTask();
        await alice.Channel.SendAsync(Encoding.UTF8.GetBytes("through TURN")).AsTask().WaitAsync(Limit);
        Assert.Equal("through TURN", await atBob.WaitAsync(Limit));
        Assert.Equal(0, signal.Statistics.RelayPacketsForwarded); // nothing went through the built-in relay
    }

    [CoturnFact]
    public async Task PunchAsync_TurnCredentialsExpired_SaysSoAndRelaysThroughTheSignalingServer()
    {
        await using var coturn = TurnServerProcess.StartRelay(Secret);
        // The signaling server's clock is two hours behind: the credentials it hands out expired before they were issued.
        await using var signal = SignalingServer.Start(
            new IPEndPoint(IPAddress.Loopback, 0), WithTurn(coturn.EndPoint, Secret), scheduler: new ShiftedScheduler(TimeSpan.FromHours(-2)));
        await using var pair = await PairAsync(signal, coturn);
        var notices = pair.Alice.RelayNotices.Replay();
        using var connected = notices.Connect();

        var (alice, bob) = await pair.PunchAsync();

        Assert.True(alice.Relayed);
        Assert.Equal(signal.LocalEndPoint, alice.Channel.RemoteEndPoint);
        Assert.Equal(signal.LocalEndPoint, bob.Channel.RemoteEndPoint);
        Assert.StartsWith($"the TURN server at {coturn.EndPoint} refused the credentials: they expired at ", pair.Alice.TurnFailure);
        Assert.EndsWith("; relaying through the signaling server instead", pair.Alice.TurnFailure);
        var notice = await notices.FirstAsync().ToTask().WaitAsync(Limit);
        Assert.StartsWith($"The TURN server at {coturn.EndPoint} refused the credentials: they expired at ", notice);
        using var path = pair.Alice.ManagePath(alice);
        Assert.Null(path.Report(null).PeerToPeer!.TurnServer);
        Assert.True(signal.Statistics.RelayPacketsForwarded > 0);
    }

    [CoturnFact]
    public async Task PunchAsync_TurnSecretWrong_SaysSoAndRelaysThroughTheSignalingServer()
    {
        await using var coturn = TurnServerProcess.StartRelay(Secret);
        await using var signal = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), WithTurn(coturn.EndPoint, "another-secret"));
        await using var pair = await PairAsync(signal, coturn);

        var (alice, _) = await pair.PunchAsync();

        Assert.Equal(signal.LocalEndPoint, alice.Channel.RemoteEndPoint);
        Assert.Contains("refused the credentials: wrong username or password", pair.Alice.TurnFailure);
    }

    /// <summary>
    /// What a user sees across credential expiry: the session stays on TURN. The server hands out 3-second credentials
    /// and renews them on the 1-second keep-alives; coturn goes on refreshing the allocation's permission and channel
    /// (every second here) with the first user name after it expired, re-challenged every second by a stale nonce.
    /// </summary>
    [CoturnFact]
    public async Task PunchAsync_SessionOnTurnOutlivesTwoCredentials_StaysOnTurnAndDeliversEveryMessageBothWays()
    {
        await using var coturn = TurnServerProcess.StartRelay(Secret, staleNonce: 1);
        var lifetime = TimeSpan.FromSeconds(3);
        await using var signal = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), new SignalingServerOptions
        {
            Turn = new TurnRelayOptions(coturn.EndPoint, Encoding.UTF8.GetBytes(Secret)) { CredentialLifetime = lifetime, MinimumCredentialLifetime = lifetime },
        });
        await using var pair = await PairAsync(signal, coturn, renewing: true);
        var (alice, bob) = await pair.PunchAsync();
        using var path = pair.Alice.ManagePath(alice);
        Assert.True(path.IsOnTurn, coturn.Log);
        var first = pair.Alice.Turn.LatestCredentials!;
        // Two more lifetimes after the first credential's end: the session outlives at least two of them.
        var until = first.ExpiresAt!.Value + lifetime + lifetime + TimeSpan.FromSeconds(1);

        var sent = 0;
        while (DateTimeOffset.UtcNow < until || pair.Alice.Turn.Renewals < 2 || pair.Bob.Turn.Renewals < 2)
        {
            await ExchangeAsync(alice.Channel, bob.Channel, $"alice to bob #{sent}");
            await ExchangeAsync(bob.Channel, alice.Channel, $"bob to alice #{sent}");
            sent++;
            Assert.True(sent < 200, "the credentials were not renewed");
            await Task.Delay(100); // pacing: a message every tenth of a second, both ways
        }

        Assert.True(path.IsOnTurn);
        Assert.Equal(coturn.EndPoint, path.Report(null).PeerToPeer!.TurnServer);
        Assert.Equal(pair.Bob.Turn.Client!.RelayedAddress, alice.Channel.RemoteEndPoint);
        Assert.Equal(pair.Alice.Turn.Client!.RelayedAddress, bob.Channel.RemoteEndPoint);
        Assert.False(pair.Alice.Turn.Client.Lost.IsCompleted);
        Assert.False(pair.Bob.Turn.Client.Lost.IsCompleted);
        Assert.Null(pair.Alice.TurnFailure);
        Assert.NotEqual(first.Username, pair.Alice.Turn.LatestCredentials!.Username);
        Assert.Equal(0, signal.Statistics.RelayPacketsForwarded); // nothing went through the built-in relay

        // coturn took the first, expired user name: refreshes after a stale nonce, never a 401 for it.
        var log = coturn.Log.Split('\n').Where(line => line.Contains($"user <{first.Username}>", StringComparison.Ordinal)).ToList();
        Assert.Contains(log, line => line.Contains("error 438: Stale nonce", StringComparison.Ordinal));
        Assert.True(log.Count(line => line.Contains("CREATE_PERMISSION processed, success", StringComparison.Ordinal)) >= 3, coturn.Log);
        Assert.True(log.Count(line => line.Contains("CHANNEL_BIND processed, success", StringComparison.Ordinal)) >= 3, coturn.Log);
        Assert.DoesNotContain(log, line => line.Contains("error 401", StringComparison.Ordinal));
    }

    /// <summary>Sends <paramref name="text"/> and waits until the other side has it.</summary>
    private static async Task ExchangeAsync(SecureDatagramChannel from, SecureDatagramChannel to, string text)
    {
        var arrives = to.Payloads.Select(p => Encoding.UTF8.GetString(p.Span)).FirstAsync(t => t == text).ToTask();
        await from.SendAsync(Encoding.UTF8.GetBytes(text)).AsTask().WaitAsync(Limit);
        await arrives.WaitAsync(Limit);
    }

    private static SignalingServerOptions WithTurn(IPEndPoint turn, string secret) => new()
    {
        Turn = new TurnRelayOptions(turn, Encoding.UTF8.GetBytes(secret)),
    };

    /// <summary>Alice and bob matched in one room; each socket hears only the signaling server and coturn.</summary>
    /// <param name="renewing">
    /// Keep-alives every second (so short-lived credentials are renewed), permissions and channels refreshed every second
    /// (the allocation's own Refresh comes at half its 600 s at the soonest, the same authentication as these).
    /// </param>
    private static async Task<Pair> PairAsync(SignalingServer signal, TurnServerProcess coturn, bool renewing = false)
    {
        var options = PeerToPeerOptions.Default with { RelayFallback = TimeSpan.FromMilliseconds(300) };
        var bob = new PunchAttempt(CutOff(signal.LocalEndPoint, coturn.EndPoint, renewing), DefaultScheduler.Instance, options);
        var alice = new PunchAttempt(CutOff(signal.LocalEndPoint, coturn.EndPoint, renewing), DefaultScheduler.Instance, options);
        var room = "turn-" + Guid.NewGuid().ToString("N")[..8];
        var bobMeets = bob.MeetAsync(room, null, CancellationToken.None);
        await Task.WhenAll(bobMeets, alice.MeetAsync(room, null, CancellationToken.None)).WaitAsync(Limit);
        return new Pair(alice, bob);
    }

    /// <summary>A p2p socket on 127.0.0.1 that drops every datagram from anyone but the two servers: no direct path.</summary>
    private static PeerSocket CutOff(IPEndPoint signal, IPEndPoint turn, bool renewing = false)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var servers = socket.Datagrams.Where(d => d.RemoteEndPoint.Equals(signal) || d.RemoteEndPoint.Equals(turn));
        var rendezvous = renewing ? new RendezvousClientOptions { KeepAliveInterval = TimeSpan.FromSeconds(1) } : null;
        var peer = new PeerSocket(servers, (datagram, to, ct) => socket.SendAsync(datagram, to, ct), socket.LocalEndPoint, [signal], socket, DefaultScheduler.Instance, rendezvous);
        if (renewing)
        {
            peer.Turn.ClientOptions = new TurnClientOptions
            {
                PermissionRefreshInterval = TimeSpan.FromSeconds(1),
                ChannelRefreshInterval = TimeSpan.FromSeconds(1),
            };
        }

        return peer;
    }

    private sealed class Pair(PunchAttempt alice, PunchAttempt bob) : IAsyncDisposable
    {
        private readonly StaticKeyPair _aliceKey = StaticKeyPair.Generate();
        private readonly StaticKeyPair _bobKey = StaticKeyPair.Generate();

        public PunchAttempt Alice { get; } = alice.Role == HandshakeRole.Initiator ? alice : bob;

        public PunchAttempt Bob { get; } = alice.Role == HandshakeRole.Initiator ? bob : alice;

        public async Task<(PunchResult Alice, PunchResult Bob)> PunchAsync()
        {
            var bob = Bob.PunchAsync(new NoiseSecurity(_bobKey), Bob.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
            var alice = Alice.PunchAsync(new NoiseSecurity(_aliceKey), Alice.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
            return (await alice.WaitAsync(Limit), await bob.WaitAsync(Limit));
        }

        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            _aliceKey.Dispose();
            _bobKey.Dispose();
        }
    }

    /// <summary>The real clock, shifted: for a server whose clock is wrong.</summary>
    private sealed class ShiftedScheduler(TimeSpan shift) : IScheduler
    {
        public DateTimeOffset Now => DefaultScheduler.Instance.Now + shift;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
            DefaultScheduler.Instance.Schedule(state, (_, s) => action(this, s));

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
            DefaultScheduler.Instance.Schedule(state, dueTime, (_, s) => action(this, s));

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
            DefaultScheduler.Instance.Schedule(state, dueTime - shift, (_, s) => action(this, s));
    }
}
