using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>How a punch attempt ended: the session's channel, and whether it runs over the relay (and why).</summary>
public sealed record PunchResult(SecureDatagramChannel Channel, bool Relayed, DirectPathFailure? DirectFailure);

/// <summary>
/// One attempt to reach a peer through both NATs: register at the signaling server, learn the peer's
/// candidates, punch toward all of them from one UDP socket, and keep the first candidate whose handshake
/// completes with a peer that <see cref="DatagramChannelOptions.AdmitPeer"/> accepts; if none does within <see cref="PeerToPeerOptions.RelayFallback"/>, run the handshake through the server's relay.
/// </summary>
/// <remarks>
/// Everything (signaling, punches, relaying, the handshake and the session) shares one <see cref="PeerSocket"/>.
/// The relay is addressed like a peer candidate: the server's own address. Only an authenticated, admitted handshake
/// selects a path: punch probes carry no authority, and packets from addresses that are neither the peer's
/// candidates nor the relay never reach a handshake (they are counted in <see cref="StrangerPackets"/>).
/// </remarks>
public sealed partial class PunchAttempt : IAsyncDisposable
{
    private readonly PeerSocket _socket;
    private readonly IScheduler _scheduler;
    private readonly PeerToPeerOptions _options;
    private readonly Lock _gate = new();
    private readonly List<SecureDatagramChannel> _candidates = [];
    private HashSet<IPEndPoint> _peerAddresses = [];
    private SecureDatagramChannel? _responder;
    private SecureDatagramChannel? _relayResponder;
    private SecureDatagramChannel? _winner;
    private Func<SecureDatagramChannel>? _newResponder;
    private TaskCompletionSource _candidateJoined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _strangers;
    private int _nominated;

    internal PunchAttempt(PeerSocket socket, IScheduler scheduler, PeerToPeerOptions options)
    {
        _socket = socket;
        _scheduler = scheduler;
        _options = options;
        socket.DeliverSessionPacketsTo(RouteSession);
        var local = socket.LocalEndPoint.Address;
        Birthday = new BirthdayPunch(socket, socket.Mappings, scheduler, options, () => BirthdaySocket.Bind(local));
    }

    /// <summary>Easy NAT to hard NAT by the birthday paradox, once both mappings are known.</summary>
    internal BirthdayPunch Birthday { get; }

    /// <summary>The relay's address as the session sees it: the signaling server's.</summary>
    public IPEndPoint Relay => _socket.Relay;

    /// <summary>The peer's candidates as the server gave them (host ones first), once matched.</summary>
    public IReadOnlyList<IPEndPoint> PeerCandidates { get; private set; } = [];

    /// <summary>Our role, as the server assigned it, once matched.</summary>
    public HandshakeRole Role { get; private set; }

    /// <summary>What the server told us, once matched.</summary>
    public PeerMatch? Match { get; private set; }

    /// <summary>Our local UDP port (the reflexive address tells whether the NAT kept it).</summary>
    public int LocalPort => _socket.LocalEndPoint.Port;

    /// <summary>The relays' notices (one sentence each): the built-in relay's limits, a TURN relay that failed or stopped.</summary>
    public IObservable<string> RelayNotices => _socket.Rendezvous.RelayNotices.Merge(_socket.Turn.Notices);

    /// <summary>The TURN server the signaling server offered, if it did.</summary>
    public IPEndPoint? TurnServer => _socket.Turn.Server;

    /// <summary>Why the TURN relay is not used, when the server offered one and it failed.</summary>
    public string? TurnFailure => _socket.Turn.Failure;

    internal TurnRelay Turn => _socket.Turn;

    /// <summary>Session packets dropped before any session saw them: from neither a peer candidate nor the relay.</summary>
    public long StrangerPackets => Interlocked.Read(ref _strangers);

    internal PeerToPeerOptions Options => _options;

    /// <summary>
    /// Binds one UDP socket on <paramref name="localAddress"/> (any free port) for everything the attempt does. The
    /// host candidates announced to the peer follow that address: a specific address is the only one announced.
    /// </summary>
    public static PunchAttempt Start(IPEndPoint server, IPAddress localAddress, IScheduler scheduler, PeerToPeerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Start([server], localAddress, scheduler, options);
    }

    /// <summary>
    /// As <see cref="Start(IPEndPoint, IPAddress, IScheduler, PeerToPeerOptions?)"/>, for several signaling servers (nodes
    /// of one deployment, in the order to try them): the client registers at the first that answers and rejoins at the
    /// next when its server stops answering (docs/PROTOCOL.md §9.9). The relay is named by the first server's address.
    /// </summary>
    public static PunchAttempt Start(IReadOnlyList<IPEndPoint> servers, IPAddress localAddress, IScheduler scheduler, PeerToPeerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(localAddress);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (servers.Count == 0)
            throw new ArgumentException("At least one signaling server is needed.", nameof(servers));
        var server = servers[0] ?? throw new ArgumentNullException(nameof(servers));
        if (servers.FirstOrDefault(s => s is not null && !PeerSocket.CanReach(localAddress, s)) is { } unreachable)
            throw new ArgumentException($"The local address {localAddress} cannot reach the signaling server at {unreachable}: they are of different address families.");
        return new PunchAttempt(PeerSocket.Bind(localAddress, servers, scheduler), scheduler, options ?? PeerToPeerOptions.Default);
    }

    /// <summary>Registers in <paramref name="room"/> and waits until the server introduces the peer.</summary>
    public Task<PeerMatch> MeetAsync(string room, IProgress<string>? progress, CancellationToken cancellationToken) =>
        MeetAsync(room, progress, nameplateAllocated: null, cancellationToken);

    /// <summary>
    /// Registers in <paramref name="room"/> and waits for the peer; for <see cref="SignalingCodec.AllocateNameplateRoom"/>
    /// the server allocates a nameplate, which <paramref name="nameplateAllocated"/> hears before the wait for the peer.
    /// </summary>
    public async Task<PeerMatch> MeetAsync(string room, IProgress<string>? progress, Action<int>? nameplateAllocated, CancellationToken cancellationToken)
    {
        var hosts = HostCandidates.Of(_socket.LocalEndPoint, Relay.Address);
        progress?.Report(room == SignalingCodec.AllocateNameplateRoom ? $"asking {Relay} for a code number" : $"registering in room '{room}' at {Relay}");
        var waiting = new Progress<IPEndPoint>(reflexive =>
        {
            if (room == SignalingCodec.AllocateNameplateRoom && _socket.Rendezvous.Nameplate is { } number)
                nameplateAllocated?.Invoke(number);
            else
                progress?.Report($"registered as {reflexive}; waiting for the peer to join room '{room}'");
        });
        var match = await _socket.Rendezvous.RegisterAsync(room, hosts, waiting, cancellationToken).ConfigureAwait(false);
        // Stay a member: the relay, and the NAT mapping toward the server, must outlive the punching.
        _socket.Rendezvous.KeepMembership();
        Match = match;
        _socket.Turn.Matched(match.Peer);
        Role = match.Role == PeerRole.Initiator ? HandshakeRole.Initiator : HandshakeRole.Responder;
        // Host candidates first: peers on one LAN connect directly instead of through their NAT.
        PeerCandidates = [.. match.PeerHostCandidates, .. match.PeerCandidates.Where(c => !match.PeerHostCandidates.Contains(c))];
        lock (_gate)
            _peerAddresses = [.. PeerCandidates, Relay];
        Birthday.Matched(match, _socket.Rendezvous.Servers.FirstOrDefault(s => !PlainAddress.Same(s, _socket.Rendezvous.Server)), hosts, progress);
        return match;
    }

    /// <summary>
    /// Punches toward every peer candidate and runs the handshake over each; after <see cref="PeerToPeerOptions.RelayFallback"/>
    /// without a direct path, over the relay too. Returns the first channel whose handshake completes (the
    /// others are closed). A candidate whose handshake completes with a peer that <see cref="DatagramChannelOptions.AdmitPeer"/>
    /// refuses (another host answering at a candidate's address, with another key) is dropped and the others are
    /// still tried. Fails with <see cref="HandshakeException"/> when none completes within
    /// <see cref="DatagramChannelOptions.HandshakeTimeout"/>, saying why (a refusal's sentence before a timeout).
    /// </summary>
    public async Task<PunchResult> PunchAsync(
        ISecurityModule security, PeerMatch match, DatagramChannelOptions channelOptions, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(channelOptions);
        // Without a delay the punching starts now, on this thread: awaiting a zero timer would resume on the thread
        // pool, after the scheduler's clock may already have moved on (a test's virtual clock does not wait for it).
        if (match.PunchDelay > TimeSpan.Zero)
            await Observable.Timer(match.PunchDelay, _scheduler).ToTask(cancellationToken).ConfigureAwait(false);
        progress?.Report($"punching toward {string.Join(", ", PeerCandidates)} as {(Role == HandshakeRole.Initiator ? "initiator" : "responder")}");
        using var probes = SendProbes();

        var relayFallback = _options.RelayFallback;
        lock (_gate)
        {
            if (Role == HandshakeRole.Initiator)
            {
                channelOptions = Nominating(channelOptions);
                var punched = Punched(channelOptions);
                foreach (var candidate in PeerCandidates)
                    _candidates.Add(SecureDatagramChannel.Connect(security, candidate, _socket.SendAsync, punched, _scheduler));
            }
            else
            {
                // One responder for the direct paths (the first hello from a peer candidate wins; one whose peer is
                // refused is replaced, see DirectResponderLocked) and one for the relay, so a direct hello whose
                // answers cannot get back never shuts the relay out.
                var punched = Punched(channelOptions);
                _newResponder = () => SecureDatagramChannel.Accept(security, _socket.SendAsync, punched, _scheduler);
                _responder = _newResponder();
                _candidates.Add(_responder);
                if (relayFallback is not null)
                {
                    _relayResponder = SecureDatagramChannel.Accept(security, _socket.SendAsync, channelOptions, _scheduler);
                    _candidates.Add(_relayResponder);
                }
            }
        }

        // The relay is tried once the direct paths had their time, or as soon as the NATs' mappings show that plain
        // punching cannot meet (one maps per destination, the other filters: only the birthday punch, running beside
        // the relay, can open a direct path), whichever comes first.
        IDisposable fallback = Disposable.Empty;
        var punchStarted = _scheduler.Now;
        if (relayFallback is { } delay && Role == HandshakeRole.Initiator)
        {
            var options = channelOptions;
            fallback = Observable.Timer(delay, _scheduler).Select(_ => $"no direct path after {delay.TotalSeconds:0.#} s")
                .Merge(Birthday.RelayAdvised.ToObservable().Select(_ => "one NAT maps per destination and the other filters, so plain punching cannot meet"))
                .Take(1)
                .Subscribe(why => _ = TryRelayAsync(security, options, why, progress));
        }

        using (fallback)
        {
            var timeout = channelOptions.HandshakeTimeout;
            var winner = await FirstEstablishedAsync(timeout, cancellationToken).ConfigureAwait(false);
            var viaRelay = IsRelay(winner.RemoteEndPoint);
            lock (_gate)
            {
                _winner = winner;
                foreach (var loser in _candidates.Where(c => c != winner))
                    loser.Dispose();
                _candidates.Clear();
            }
            var waited = TimeSpan.FromTicks(Math.Min((_scheduler.Now - punchStarted).Ticks, (relayFallback ?? timeout).Ticks));
            return new PunchResult(winner, viaRelay, viaRelay ? DirectPathFailure.NoHandshake(waited, PeerCandidates) : null);
        }
    }

    /// <summary>The session's path manager: upgrades a relayed session to direct, and falls back to the relay when direct dies.</summary>
    public PeerPath ManagePath(PunchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Channel, Relay, _socket.Turn, WithPeerReflexive(result.Channel.RemoteEndPoint), _scheduler, this, result.DirectFailure);
    }

    /// <summary>The socket and the rest, for the session that outlives the attempt.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var candidate in _candidates)
                candidate.Dispose();
            _candidates.Clear();
        }
        Birthday.Dispose();
        await _socket.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The initiator's relay candidate, after the direct paths had their time (or once the mappings show they cannot
    /// meet, <paramref name="why"/> says which): the TURN relay when the server offered
    /// one and it is usable (waiting up to <see cref="PeerToPeerOptions.TurnWait"/> for an allocation still under way),
    /// the signaling server's relay otherwise, saying why.
    /// </summary>
    private async Task TryRelayAsync(ISecurityModule security, DatagramChannelOptions channelOptions, string why, IProgress<string>? progress)
    {
        var turn = _socket.Turn;
        var turnPeer = turn.PeerRelayed;
        if (turnPeer is null && turn.Client is not null && !turn.Ready.IsCompleted)
        {
            var waited = Observable.Timer(_options.TurnWait, _scheduler).Select(_ => (IPEndPoint?)null)
                .Merge(turn.Ready.ToObservable())
                .FirstAsync()
                .ToTask();
            turnPeer = await waited.ConfigureAwait(false);
        }
        lock (_gate)
        {
            if (_winner is not null || _candidates.Count == 0)
                return;
            var relay = turnPeer ?? Relay;
            progress?.Report(turnPeer is not null
                ? $"{why}; trying the TURN relay at {turn.Server}"
                : turn.Failure is { } failure
                    ? $"{why}; trying the relay at {Relay} ({failure})"
                    : $"{why}; trying the relay at {Relay}");
            _candidates.Add(SecureDatagramChannel.Connect(security, relay, _socket.SendAsync, channelOptions, _scheduler));
            Interlocked.Exchange(ref _candidateJoined, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>The built-in relay's address, or the peer's relayed address at the TURN server: both are relays.</summary>
    private bool IsRelay(IPEndPoint? address) =>
        address is not null && (Relay.Equals(address) || address.Equals(_socket.Turn.PeerRelayed));

    /// <summary>One punch probe toward every peer candidate (outbound packets open our NAT toward the peer).</summary>
    internal void SendProbeRound()
    {
        foreach (var candidate in PeerCandidates)
            _ = _socket.SendAsync(PeerDatagrams.Probe, candidate);
    }

    /// <summary>Sends punch probes toward every peer candidate now and then every <see cref="PeerToPeerOptions.ProbeInterval"/>, <see cref="PeerToPeerOptions.ProbeRounds"/> times.</summary>
    private IDisposable SendProbes()
    {
        SendProbeRound();
        var sent = 1;
        return _scheduler.SchedulePeriodic(_options.ProbeInterval, () =>
        {
            if (sent++ < _options.ProbeRounds)
                SendProbeRound();
        });
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
            // Candidates that finished count even when the deadline is what woke us: their tasks complete their
            // continuations asynchronously, so WhenAny may see the deadline first although they finished before it.
            foreach (var channel in current.Where(c => c.Established.IsCompleted))
            {
                seen.Add(channel);
                if (channel.Established.IsCompletedSuccessfully)
                    return channel;
                // A refusal (other mode, other version) is the peer's real answer: report it rather than a timeout.
                if (channel.Established.Exception?.InnerException is HandshakeException e and not HandshakeTimeoutException)
                    refusal ??= e;
            }
            if (done == deadline)
                break;
            lock (_gate)
            {
                if (Role == HandshakeRole.Responder)
                    DirectResponderLocked(); // a refused peer does not end the wait: the direct path gets a new responder
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

    /// <summary>
    /// The handshakes over punched paths (announced candidates and peer-reflexive ones, never the relay) resend their
    /// flights on the probes' schedule first (<see cref="PeerToPeerOptions.HandshakeFastRetransmits"/>): a first flight
    /// that reached the peer's NAT before the peer's own punch opened it, or one lost on the way, costs one probe
    /// interval. Only toward addresses the server gave, or that proved themselves with a cookie.
    /// </summary>
    private DatagramChannelOptions Punched(DatagramChannelOptions options) => options with
    {
        FastRetransmits = _options.HandshakeFastRetransmits,
        FastRetransmitInterval = _options.ProbeInterval,
    };

    /// <summary>
    /// The initiator nominates the path, as ICE's controlling agent does: of its candidates' handshakes only the first
    /// admitted one sends its last message, so the responder can complete only the session the initiator keeps. Without
    /// this, a direct and a relayed handshake that finish together could each win on one side (two live sessions, each
    /// side on its own), which a lossy path made happen.
    /// </summary>
    private DatagramChannelOptions Nominating(DatagramChannelOptions options) => options with
    {
        AdmitPeer = session =>
        {
            if (options.AdmitPeer?.Invoke(session) is { } refusal)
                return refusal;
            return Interlocked.Exchange(ref _nominated, 1) == 0 ? null : "Another path to the peer completed its handshake first.";
        },
    };

    /// <summary>
    /// Under the lock: the responder for direct paths. Someone this side refused (another host at a candidate's
    /// address, with another key) may have taken it: the other candidates then get a new one, so the real peer can
    /// still come in. Bounded: each replacement takes a whole handshake from a candidate's address.
    /// </summary>
    private SecureDatagramChannel? DirectResponderLocked()
    {
        if (_responder is { Established.IsFaulted: true } refused
            && refused.Established.Exception?.InnerException is PeerRefusedException
            && _newResponder is not null)
        {
            _responder = _newResponder();
            _candidates.Add(_responder);
            Interlocked.Exchange(ref _candidateJoined, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
        return _responder;
    }

    private bool RelayTried
    {
        get
        {
            lock (_gate)
                return _relayResponder is not null || _candidates.Any(c => IsRelay(c.RemoteEndPoint));
        }
    }

    /// <summary>Session packets go to the session once there is one, before that to the candidate they answer.</summary>
    private void RouteSession(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram)
    {
        SecureDatagramChannel? target;
        byte[]? cookie = null;
        lock (_gate)
        {
            if (_winner is not null)
                target = _winner;
            else if (!_peerAddresses.Contains(from) && !IsRelay(from))
            {
                // Neither a peer candidate nor the relay: only a proven peer-reflexive hello reaches a handshake.
                target = PeerReflexiveLocked(from, header, datagram, out cookie);
                if (target is null)
                    _strangers++;
            }
            else if (Role == HandshakeRole.Responder)
                target = IsRelay(from) ? _relayResponder : DirectResponderLocked();
            else
                target = _candidates.FirstOrDefault(c => from.Equals(c.RemoteEndPoint));
        }
        if (cookie is not null)
            SendCookie(cookie, from);
        target?.Receive(from, header, datagram);
    }
}
