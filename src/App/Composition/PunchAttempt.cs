using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Signaling;
using SecretChat.Transport;
using SecretChat.Transport.Udp;

namespace SecretChat.App.Composition;

/// <summary>How a punch attempt ended: the session's channel, and whether it runs over the relay (and why).</summary>
public sealed record PunchResult(SecureDatagramChannel Channel, bool Relayed, string? DirectFailure);

/// <summary>
/// One attempt to reach a peer through both NATs: register at the signaling server, learn the peer's
/// candidates, punch toward all of them from one UDP socket, and keep the first candidate whose handshake
/// completes; if none does within <see cref="RelayFallback"/>, run the handshake through the server's relay.
/// </summary>
/// <remarks>
/// Everything (signaling, punches, relaying, the handshake and the session) shares one socket, so the NAT
/// mapping the server observed is the one the peer punches toward. The relay is addressed like a peer
/// candidate: the server's own address. Datagrams "sent" there are wrapped in relay packets, and datagrams
/// relayed by the server come back "from" it, so the sealed session is the same end to end on either path.
/// Only an authenticated handshake selects a path: punch probes carry no authority, and datagrams from
/// addresses that are neither the peer's candidates nor the relay never reach a handshake.
/// </remarks>
public sealed class PunchAttempt : IAsyncDisposable
{
    /// <summary>How long the direct path has before the relay is tried (what the best peers use).</summary>
    public static readonly TimeSpan RelayFallback = TimeSpan.FromSeconds(2);

    /// <summary>Punch probes: a type outside the session (0x01–0x0F) and signaling (0x40–0x4F) ranges, dropped on receipt.</summary>
    internal static readonly byte[] Probe = [0x50, (byte)'S', (byte)'C', (byte)'P', (byte)'1'];

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);
    private const int ProbeRounds = 20;

    /// <summary>What a default server keeps per peer (<c>SignalingServerOptions.MaxCandidatesPerPeer</c>).</summary>
    private const int MaxHostCandidates = 8;

    private readonly UdpDatagramSocket _socket;
    private readonly RendezvousClient _rendezvous;
    private readonly IScheduler _scheduler;
    private readonly IDisposable _wiring;
    private readonly IDisposable _relayWiring;
    private readonly Lock _gate = new();
    private readonly List<SecureDatagramChannel> _candidates = [];
    private HashSet<IPEndPoint> _peerAddresses = [];
    private SecureDatagramChannel? _responder;
    private SecureDatagramChannel? _relayResponder;
    private SecureDatagramChannel? _winner;
    private TaskCompletionSource _candidateJoined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PunchAttempt(UdpDatagramSocket socket, IPEndPoint server, IScheduler scheduler)
    {
        _socket = socket;
        _scheduler = scheduler;
        Relay = server;
        _rendezvous = new RendezvousClient((datagram, to, ct) => socket.SendAsync(datagram, to, ct), server, scheduler);
        _wiring = socket.Datagrams.Subscribe(d => Route(d.RemoteEndPoint, d.Payload.Span));
        _relayWiring = _rendezvous.Relayed.Subscribe(datagram => RouteSession(Relay, datagram.Span));
    }

    /// <summary>The relay's address as the session sees it: the signaling server's.</summary>
    public IPEndPoint Relay { get; }

    /// <summary>The peer's candidates as the server gave them (host ones first), once matched.</summary>
    public IReadOnlyList<IPEndPoint> PeerCandidates { get; private set; } = [];

    /// <summary>Our role, as the server assigned it, once matched.</summary>
    public HandshakeRole Role { get; private set; }

    /// <summary>What the server told us, once matched.</summary>
    public PeerMatch? Match { get; private set; }

    /// <summary>Our local UDP port (the reflexive address tells whether the NAT kept it).</summary>
    public int LocalPort => _socket.LocalEndPoint.Port;

    /// <summary>The relay's limit notices (one sentence each).</summary>
    public IObservable<string> RelayNotices => _rendezvous.RelayNotices;

    /// <summary>
    /// Binds one UDP socket on <paramref name="localAddress"/> (any free port) for everything the attempt does. The
    /// host candidates announced to the peer follow that address: a specific address is the only one announced.
    /// </summary>
    public static PunchAttempt Start(IPEndPoint server, IPAddress localAddress, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(localAddress);
        if (localAddress.AddressFamily != server.AddressFamily)
            throw new ArgumentException($"The local address {localAddress} cannot reach the signaling server at {server}: they are of different address families.");
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(localAddress, 0));
        return new PunchAttempt(socket, server, scheduler);
    }

    /// <summary>Registers in <paramref name="room"/> and waits until the server introduces the peer.</summary>
    public async Task<PeerMatch> MeetAsync(string room, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var hosts = HostCandidates(_socket.LocalEndPoint, Relay.Address);
        progress?.Report($"registering in room '{room}' at {Relay}");
        var waiting = new Progress<IPEndPoint>(reflexive => progress?.Report($"registered as {reflexive}; waiting for the peer to join room '{room}'"));
        var match = await _rendezvous.RegisterAsync(room, hosts, waiting, cancellationToken).ConfigureAwait(false);
        // Stay a member: the relay, and the NAT mapping toward the server, must outlive the punching.
        _rendezvous.KeepMembership();
        Match = match;
        Role = match.Role == PeerRole.Initiator ? HandshakeRole.Initiator : HandshakeRole.Responder;
        // Host candidates first: peers on one LAN connect directly instead of through their NAT.
        PeerCandidates = [.. match.PeerHostCandidates, .. match.PeerCandidates.Where(c => !match.PeerHostCandidates.Contains(c))];
        lock (_gate)
            _peerAddresses = [.. PeerCandidates, Relay];
        return match;
    }

    /// <summary>
    /// Punches toward every peer candidate and runs the handshake over each; after <paramref name="relayFallback"/>
    /// without a direct path, over the relay too. Returns the first channel whose handshake completes (the
    /// others are closed). Fails with <see cref="HandshakeException"/> when none completes within
    /// <paramref name="timeout"/>, saying why.
    /// </summary>
    public async Task<PunchResult> PunchAsync(
        ISecurityModule security, PeerMatch match, TimeSpan timeout, TimeSpan? relayFallback, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        await Observable.Timer(match.PunchDelay, _scheduler).ToTask(cancellationToken).ConfigureAwait(false);
        progress?.Report($"punching toward {string.Join(", ", PeerCandidates)} as {(Role == HandshakeRole.Initiator ? "initiator" : "responder")}");
        using var probes = SendProbes(ProbeInterval, ProbeRounds);

        var options = DatagramChannelOptions.Default with { HandshakeTimeout = timeout };
        lock (_gate)
        {
            if (Role == HandshakeRole.Initiator)
            {
                foreach (var candidate in PeerCandidates)
                    _candidates.Add(SecureDatagramChannel.Connect(security, candidate, Send, options, _scheduler));
            }
            else
            {
                // One responder for the direct paths (the first hello from a peer candidate wins) and one for
                // the relay, so a direct hello whose answers cannot get back never shuts the relay out.
                _responder = SecureDatagramChannel.Accept(security, Send, options, _scheduler);
                _candidates.Add(_responder);
                if (relayFallback is not null)
                {
                    _relayResponder = SecureDatagramChannel.Accept(security, Send, options, _scheduler);
                    _candidates.Add(_relayResponder);
                }
            }
        }

        IDisposable fallback = System.Reactive.Disposables.Disposable.Empty;
        if (relayFallback is { } delay && Role == HandshakeRole.Initiator)
        {
            fallback = _scheduler.Schedule(delay, () =>
            {
                lock (_gate)
                {
                    if (_winner is not null || _candidates.Count == 0)
                        return;
                    progress?.Report($"no direct path after {delay.TotalSeconds:0.#} s; trying the relay at {Relay}");
                    _candidates.Add(SecureDatagramChannel.Connect(security, Relay, Send, options, _scheduler));
                    Interlocked.Exchange(ref _candidateJoined, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }
            });
        }

        using (fallback)
        {
            var winner = await FirstEstablishedAsync(timeout, cancellationToken).ConfigureAwait(false);
            var viaRelay = Relay.Equals(winner.RemoteEndPoint);
            lock (_gate)
            {
                _winner = winner;
                foreach (var loser in _candidates.Where(c => c != winner))
                    loser.Dispose();
                _candidates.Clear();
            }
            return new PunchResult(winner, viaRelay, viaRelay
                ? $"no direct path completed a handshake within {(relayFallback ?? timeout).TotalSeconds:0.#} s (tried {string.Join(", ", PeerCandidates)})"
                : null);
        }
    }

    /// <summary>The session's path manager: upgrades a relayed session to direct, and falls back to the relay when direct dies.</summary>
    public PeerPath ManagePath(PunchResult result) =>
        new(result.Channel, Relay, PeerCandidates, _scheduler, this, result.DirectFailure);

    /// <summary>Sends punch probes toward every peer candidate now and then every <paramref name="interval"/>, <paramref name="rounds"/> times.</summary>
    private IDisposable SendProbes(TimeSpan interval, int rounds)
    {
        SendProbeRound();
        var sent = 1;
        return _scheduler.SchedulePeriodic(interval, () =>
        {
            if (sent++ < rounds)
                SendProbeRound();
        });
    }

    /// <summary>The socket and the rest, for the session that outlives the attempt.</summary>
    public async ValueTask DisposeAsync()
    {
        _wiring.Dispose();
        _relayWiring.Dispose();
        try
        {
            await _rendezvous.LeaveAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // The room expires on its own.
        }
        _rendezvous.Dispose();
        lock (_gate)
        {
            foreach (var candidate in _candidates)
                candidate.Dispose();
            _candidates.Clear();
        }
        await _socket.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<SecureDatagramChannel> FirstEstablishedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Observable.Timer(timeout, _scheduler).ToTask(cancellationToken);
        HandshakeException? refusal = null;
        var seen = new HashSet<SecureDatagramChannel>();
        while (true)
        {
            // A new candidate (the relay) may join while waiting: wake up for it too (read before the snapshot).
            var joined = Volatile.Read(ref _candidateJoined).Task;
            SecureDatagramChannel[] current;
            lock (_gate)
                current = [.. _candidates.Where(c => !seen.Contains(c))];
            var done = await Task.WhenAny(current.Select(c => (Task)c.Established).Append(deadline).Append(joined)).ConfigureAwait(false);
            if (done == deadline)
                break;
            foreach (var channel in current.Where(c => c.Established.IsCompleted))
            {
                seen.Add(channel);
                if (channel.Established.IsCompletedSuccessfully)
                    return channel;
                // A refusal (other mode, other version) is the peer's real answer: report it rather than a timeout.
                if (channel.Established.Exception?.InnerException is HandshakeException e && !e.Message.Contains("did not answer", StringComparison.Ordinal))
                    refusal ??= e;
            }
            lock (_gate)
            {
                if (refusal is not null && _candidates.All(c => seen.Contains(c)))
                    break;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (refusal is not null)
            throw refusal;
        throw new HandshakeException(
            $"Hole punching failed: no path to the peer completed a handshake within {timeout.TotalSeconds:0.#} s " +
            $"(tried {string.Join(", ", PeerCandidates)}{(RelayTried ? $" and the relay at {Relay}" : "")}). The NATs on the way probably " +
            "change the public port for every destination (symmetric NAT) or filter UDP, and the relay did not answer.");
    }

    private bool RelayTried
    {
        get
        {
            lock (_gate)
                return _relayResponder is not null || _candidates.Any(c => Relay.Equals(c.RemoteEndPoint));
        }
    }

    /// <summary>One punch probe toward every peer candidate (outbound packets open our NAT toward the peer).</summary>
    internal void SendProbeRound()
    {
        foreach (var candidate in PeerCandidates)
            _ = Send(Probe, candidate);
    }

    /// <summary>One socket, many protocols: signaling (and relayed datagrams), punch probes, then session packets.</summary>
    private void Route(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (_rendezvous.TryHandle(datagram, from) || datagram.IsEmpty || datagram[0] == Probe[0])
            return;
        RouteSession(from, datagram);
    }

    /// <summary>Session packets go to the session once there is one, before that to the candidate they answer.</summary>
    private void RouteSession(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!PacketCodec.TryDecode(datagram, out _, out _, out _))
            return;
        SecureDatagramChannel? target;
        lock (_gate)
        {
            if (_winner is not null)
                target = _winner;
            else if (!_peerAddresses.Contains(from))
                return; // Neither a peer candidate nor the relay: it never reaches a handshake.
            else if (Role == HandshakeRole.Responder)
                target = from.Equals(Relay) ? _relayResponder : _responder;
            else
                target = _candidates.FirstOrDefault(c => from.Equals(c.RemoteEndPoint));
        }
        target?.Receive(from, datagram);
    }

    /// <summary>Sends one datagram: wrapped for the relay when addressed to it, straight out of the socket otherwise.</summary>
    internal ValueTask Send(ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        try
        {
            return to.Equals(Relay) ? _rendezvous.RelayAsync(datagram) : _socket.SendAsync(datagram, to);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            return ValueTask.CompletedTask; // A lost probe or packet: retransmission covers it.
        }
    }

    /// <summary>
    /// The addresses the peer may reach this socket at, with its port: the bound address alone when the socket is
    /// bound to one; for the wildcard, this machine's addresses (loopback too when the server is on loopback).
    /// </summary>
    internal static List<IPEndPoint> HostCandidates(IPEndPoint bound, IPAddress server)
    {
        var port = bound.Port;
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
            return [new IPEndPoint(bound.Address, port)];
        var addresses = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up)
                    continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = unicast.Address;
                    if (address.AddressFamily == server.AddressFamily && !IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal)
                        addresses.Add(address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list: the reflexive candidate still works across NATs.
        }
        if (IPAddress.IsLoopback(server))
            addresses.Insert(0, server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        return [.. addresses.Distinct().Take(MaxHostCandidates).Select(a => new IPEndPoint(a, port))];
    }
}
