using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Security.Datagrams;
using SecretChat.Transport;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>Which side of a birthday punch this peer plays.</summary>
internal enum BirthdayRole
{
    /// <summary>None: both NATs easy (plain punching works), both hard (only the relay does), or a mapping unknown.</summary>
    None,

    /// <summary>Our NAT maps per destination and the peer's does not: we open many sockets and punch from all.</summary>
    Hard,

    /// <summary>The peer's NAT maps per destination and ours does not: we probe random ports of its public address.</summary>
    Easy,
}

/// <summary>
/// Easy NAT to hard NAT by the birthday paradox (docs/PROTOCOL.md §11.6): once both mappings are known
/// (<see cref="MappingExchange"/>), the hard side opens <see cref="PeerToPeerOptions.BirthdaySockets"/> sockets and
/// punches from each toward the easy side's reflexive address, and the easy side, once the session runs on the relay,
/// probes random ports of the hard side's public address. With 256 sockets among ~64,000 ports, 1,024 probes hit one
/// with 98% odds. A hit only names a socket: the session's authenticated path probe goes out from it, and the easy side
/// follows that probe (an authenticated packet from a new address) and answers, which moves the hard side too. The
/// socket the session moved through is kept, the others closed.
/// </summary>
/// <remarks>
/// Runs once per attempt, alongside the relay: the session never waits for it. Bounded by its settings: at most
/// <c>BirthdaySockets × BirthdayPunchRounds</c> punches on the hard side, <see cref="PeerToPeerOptions.BirthdayProbes"/>
/// probes on the easy side, and <see cref="HitProbes"/> authenticated probes per hit socket. Every datagram goes to the
/// peer's reflexive address (the hard side) or to a port of the peer's public address (the easy side), nowhere else.
/// </remarks>
internal sealed class BirthdayPunch : IDisposable
{
    /// <summary>Authenticated path probes sent from a socket that heard from the peer, <see cref="HitProbeInterval"/> apart, until the session moves.</summary>
    public const int HitProbes = 8;

    public static readonly TimeSpan HitProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly PeerSocket _socket;
    private readonly MappingExchange _mappings;
    private readonly IScheduler _scheduler;
    private readonly PeerToPeerOptions _options;
    private readonly OpenBirthdaySocket _open;
    private readonly Lock _gate = new();
    private readonly SerialDisposable _hitProbes = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _relayAdvised = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PeerMatch? _match;
    private IProgress<string>? _progress;
    private SecureDatagramChannel? _relayed;
    private BirthdaySocket? _route;
    private BirthdaySocket? _pendingHit;
    private BirthdayHardSide? _hard;
    private BirthdayEasySide? _easy;
    private bool _done;
    private long _authenticatedProbes;

    public BirthdayPunch(PeerSocket socket, MappingExchange mappings, IScheduler scheduler, PeerToPeerOptions options, OpenBirthdaySocket open)
    {
        _socket = socket;
        _mappings = mappings;
        _scheduler = scheduler;
        _options = options;
        _open = open;
        socket.HearProbesWith(from => EasySide?.Echo(from));
    }

    /// <summary>The role, once both mappings are known.</summary>
    public BirthdayRole Role { get; private set; }

    /// <summary>
    /// Completes when both mappings are known and show that plain punching cannot meet: one NAT maps per destination
    /// and the other is a NAT too (which lets in only what its side sent to). The session then need not wait out the
    /// relay fallback: it starts on the relay while the birthday punch runs. A peer without a NAT is reached by plain
    /// punching (its filter is open): never advised then.
    /// </summary>
    public Task RelayAdvised => _relayAdvised.Task;

    /// <summary>The hard side's sockets, while this side is hard.</summary>
    public BirthdayHardSide? HardSide
    {
        get
        {
            lock (_gate)
                return _hard;
        }
    }

    /// <summary>The easy side's probing, once started.</summary>
    public BirthdayEasySide? EasySide
    {
        get
        {
            lock (_gate)
                return _easy;
        }
    }

    /// <summary>Every datagram the birthday punch sent: punches, random-port probes and authenticated path probes.</summary>
    public long PacketsSent => (HardSide?.PacketsSent ?? 0) + (EasySide?.PacketsSent ?? 0) + Interlocked.Read(ref _authenticatedProbes);

    /// <summary>Whether a socket of ours carries the session's datagrams to the peer (the hard side's hit).</summary>
    public bool Routed
    {
        get
        {
            lock (_gate)
                return _route is not null;
        }
    }

    /// <summary>The match is known: detect our mapping, then decide the role once the peer's notice arrives.</summary>
    /// <param name="match">What the server told us.</param>
    /// <param name="second">A second STUN destination, or null (the mapping then stays unknown and nothing runs).</param>
    /// <param name="hosts">Our host candidates.</param>
    /// <param name="progress">Hears what the birthday punch decided and found (status lines), if given.</param>
    public void Matched(PeerMatch match, IPEndPoint? second, IReadOnlyList<IPEndPoint> hosts, IProgress<string>? progress = null)
    {
        lock (_gate)
        {
            _match = match;
            _progress = progress;
        }
        _mappings.Start(match.ReflexiveAddress, second, hosts);
        _ = DecideAsync(match, second);
    }

    /// <summary>The session's path: on the relay, the easy side starts probing; anywhere direct, the punch ends.</summary>
    public void PathChanged(SecureDatagramChannel channel, bool relayed)
    {
        if (!relayed)
        {
            Complete();
            return;
        }
        BirthdaySocket? pending;
        lock (_gate)
        {
            if (_done)
                return;
            _relayed = channel;
            pending = _pendingHit;
            _pendingHit = null;
        }
        StartEasySide();
        if (pending is not null)
            ProbeFrom(pending);
    }

    public void Dispose()
    {
        BirthdayHardSide? hard;
        BirthdayEasySide? easy;
        lock (_gate)
        {
            _done = true;
            hard = _hard;
            easy = _easy;
        }
        _disposed.Cancel();
        _hitProbes.Dispose();
        easy?.Dispose();
        hard?.CloseKept();
        _mappings.Dispose();
    }

    /// <summary>The role from the two mappings, decided once both are known (the peer's may never come: then never).</summary>
    public static BirthdayRole RoleOf(NatMappingKind local, NatMappingKind peer) => (local, peer) switch
    {
        (NatMappingKind.EndpointDependent, _) when peer.IsEasy() => BirthdayRole.Hard,
        (_, NatMappingKind.EndpointDependent) when local.IsEasy() => BirthdayRole.Easy,
        _ => BirthdayRole.None,
    };

    /// <summary>
    /// Whether plain punching cannot meet, so the relay need not wait: a birthday punch is on and both peers are behind
    /// NATs (one without a NAT lets the other's punch in from any port: the peer-reflexive path).
    /// </summary>
    public static bool AdvisesRelay(BirthdayRole role, NatMappingKind local, NatMappingKind peer) =>
        role != BirthdayRole.None && local != NatMappingKind.None && peer != NatMappingKind.None;

    private async Task DecideAsync(PeerMatch match, IPEndPoint? second)
    {
        NatMappingKind local, peer;
        try
        {
            local = await _mappings.Local.WaitAsync(_disposed.Token).ConfigureAwait(false);
            if (local == NatMappingKind.Unknown)
            {
                if (second is not null && !_disposed.IsCancellationRequested)
                    _progress?.Report($"our NAT's mapping is unknown: {second} did not answer (no birthday punch)");
                return;
            }
            peer = await _mappings.Peer.WaitAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var role = RoleOf(local, peer);
        // Behind one NAT together the peers share a public address: there is nothing to guess.
        if (match.ReflexiveAddress.Address.Equals(match.PeerReflexiveAddress.Address))
            role = BirthdayRole.None;
        lock (_gate)
        {
            if (_done || Role != BirthdayRole.None)
                return;
            Role = role;
            if (role == BirthdayRole.Hard && _options.BirthdaySockets > 0)
                _hard = new BirthdayHardSide(match.PeerReflexiveAddress, _open, _scheduler, _options, Hit, Heard);
        }
        _progress?.Report(role switch
        {
            BirthdayRole.Hard => $"our NAT maps per destination, the peer's does not: punching from {_options.BirthdaySockets} more ports (birthday punch)",
            BirthdayRole.Easy => $"the peer's NAT maps per destination, ours does not: probing up to {_options.BirthdayProbes} of its ports once on the relay (birthday punch)",
            _ => $"NAT mappings: ours {Describe(local)}, the peer's {Describe(peer)}",
        });
        if (AdvisesRelay(role, local, peer))
            _relayAdvised.TrySetResult();
        // The hard side punches at once, while the direct punch and the relay fallback run, so its 256 ports are open
        // (opening them takes a while on a loaded machine) when the easy side starts probing, once on the relay. In the
        // lab, probing before the session existed went direct in 3 runs of 10: the hits came, but the probes answering
        // them went out before the easy side had a session to take them.
        HardSide?.Start();
        StartEasySide();
    }

    private static string Describe(NatMappingKind kind) => kind switch
    {
        NatMappingKind.None => "none (a public address)",
        NatMappingKind.EndpointIndependent => "one port for every destination",
        NatMappingKind.EndpointDependent => "a port per destination",
        _ => "unknown",
    };

    private void StartEasySide()
    {
        BirthdayEasySide? easy;
        lock (_gate)
        {
            if (_done || Role != BirthdayRole.Easy || _relayed is null || _easy is not null || _match is null || _options.BirthdayProbes <= 0)
                return;
            easy = _easy = new BirthdayEasySide(_match.PeerReflexiveAddress.Address, _socket.SendAsync, _scheduler, _options);
        }
        easy.Start();
    }

    /// <summary>A socket heard from the peer: the session's datagrams to the peer go out from it, starting with path probes.</summary>
    private void Hit(BirthdaySocket socket)
    {
        bool now, first;
        lock (_gate)
        {
            if (_done || _match is null)
                return;
            first = _route is null;
            _route = socket;
            now = _relayed is not null;
            if (!now)
                _pendingHit = socket;
        }
        _socket.RouteThrough(_match.PeerReflexiveAddress, socket.Send);
        if (first)
            _progress?.Report("the peer got through to one of our birthday ports: trying the direct path through it");
        if (now)
            ProbeFrom(socket);
    }

    /// <summary>What a hit socket hears from the peer goes to the session like anything from the session's socket.</summary>
    private void Heard(BirthdaySocket socket, IPEndPoint from, ReadOnlyMemory<byte> datagram) =>
        _socket.ReceiveThrough(from, datagram.Span);

    /// <summary>Authenticated path probes toward the peer (routed out of the hit socket), until the session moves or <see cref="HitProbes"/> went.</summary>
    private void ProbeFrom(BirthdaySocket socket)
    {
        var sent = 0;
        _hitProbes.Disposable = _scheduler.Schedule(TimeSpan.Zero, self =>
        {
            SecureDatagramChannel? channel;
            IPEndPoint? peer;
            lock (_gate)
            {
                if (_done || _route != socket || sent++ >= HitProbes)
                    return;
                channel = _relayed;
                peer = _match?.PeerReflexiveAddress;
            }
            if (channel is null || peer is null)
                return;
            Interlocked.Increment(ref _authenticatedProbes);
            _ = ProbeQuietly(channel, peer);
            self(HitProbeInterval);
        });
    }

    private static async Task ProbeQuietly(SecureDatagramChannel channel, IPEndPoint peer)
    {
        try
        {
            await channel.ProbeAsync(peer).ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // Lost: the next probe, or the path manager's own, covers it.
        }
    }

    /// <summary>The session is direct: keep the socket it goes through (if it is one of ours), close the rest, stop probing.</summary>
    private void Complete()
    {
        BirthdayHardSide? hard;
        BirthdayEasySide? easy;
        BirthdaySocket? route;
        lock (_gate)
        {
            if (_done)
                return;
            _done = true;
            hard = _hard;
            easy = _easy;
            route = _route;
        }
        _hitProbes.Disposable = null;
        easy?.Dispose();
        if (hard is null)
            return;
        if (route is not null)
            hard.Keep(route);
        else
            hard.Dispose();
    }
}
