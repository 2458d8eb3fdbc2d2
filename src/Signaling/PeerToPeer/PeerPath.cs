using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Transport;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>
/// Keeps a punched session on the best path it can prove: while relayed, it keeps punching and sends
/// authenticated path probes toward the peer's candidates (with backoff); the first that gets through moves
/// both sides to the direct path. While direct, it watches for the path going silent and moves the
/// session back to the relay. Nothing is lost in a move: the reliability layer inside the sealed payloads
/// retransmits whatever was in flight, and the session keys never change.
/// </summary>
/// <remarks>
/// It is the channel's <see cref="IPathPolicy"/>: the channel asks it before following an authenticated packet to a
/// new address, and tells it what it heard and sent when, and each move with its reason.
/// </remarks>
public sealed class PeerPath : IPeerPath, IPathPolicy
{
    private readonly SecureDatagramChannel _channel;
    private readonly IPEndPoint _relay;
    private readonly TurnRelay? _turn;
    private readonly List<IPEndPoint> _candidates;
    private readonly int _announced;
    private readonly IScheduler _scheduler;
    private readonly PunchAttempt _attempt;
    private readonly PeerToPeerOptions _options;
    // Moves come from the socket's thread and from the channel's timers, the end from Dispose: synchronized, so that an
    // observer is never entered twice at once (Rx's contract).
    private readonly ISubject<PathChange> _changes = Subject.Synchronize(new Subject<PathChange>());
    private readonly SerialDisposable _upgrading = new();
    private readonly CompositeDisposable _subscriptions = [];
    private readonly Lock _gate = new();
    private DirectPathFailure? _directFailure;
    private DateTimeOffset _lastHeardOnCurrentPath;
    private DateTimeOffset _lastSent;
    private bool _turnLost;

    internal PeerPath(SecureDatagramChannel channel, IPEndPoint relay, IReadOnlyList<IPEndPoint> candidates, IScheduler scheduler, PunchAttempt attempt, DirectPathFailure? directFailure)
        : this(channel, relay, null, candidates, scheduler, attempt, directFailure)
    {
    }

    internal PeerPath(
        SecureDatagramChannel channel, IPEndPoint relay, TurnRelay? turn, IReadOnlyList<IPEndPoint> candidates, IScheduler scheduler, PunchAttempt attempt, DirectPathFailure? directFailure)
    {
        _channel = channel;
        _relay = relay;
        _turn = turn;
        _candidates = [.. candidates];
        _announced = _candidates.Count;
        _scheduler = scheduler;
        _attempt = attempt;
        _options = attempt.Options;
        _directFailure = directFailure;
        // The handshake just proved the peer is on the chosen path: that counts as hearing from it there.
        _lastHeardOnCurrentPath = scheduler.Now;

        _channel.PathPolicy = this;
        _subscriptions.Add(_scheduler.SchedulePeriodic(_options.HealthCheck, CheckDirectPath));
        _subscriptions.Add(_upgrading);
        if (turn is not null)
            _ = WatchTurnAsync(turn);
        // Relayed from the start: the first upgrade try comes after FirstUpgradeTry. Probing at once was tried: the
        // upgrade then raced the program's own "connected" report (the NAT lab's public/symmetric scenarios saw the
        // path change before the connection), so it waits as before.
        if (IsRelayed)
            StartUpgrading();
        attempt.Birthday.PathChanged(channel, IsRelayed);
    }

    /// <inheritdoc/>
    public PathKind Path => IsRelayed ? PathKind.Relay : PathKind.Direct;

    /// <summary>
    /// Whether the session's datagrams go through the relay now (the channel's peer address is the relay's).
    /// </summary>
    public bool IsRelayed => IsRelay(_channel.RemoteEndPoint);

    /// <summary>Whether the session's datagrams go through the TURN relay now (the channel's peer address is the peer's relayed address).</summary>
    public bool IsOnTurn => TurnPeer is { } turnPeer && turnPeer.Equals(_channel.RemoteEndPoint);

    /// <summary>Each move, with the reason.</summary>
    public IObservable<PathChange> Changes => _changes.AsObservable();

    /// <summary>The relay's limit notices, one sentence each.</summary>
    public IObservable<string> Notices => _attempt.RelayNotices;

    /// <summary>Why the session is not (or was not) on the direct path, when it is known.</summary>
    public DirectPathFailure? DirectFailure
    {
        get
        {
            lock (_gate)
                return _directFailure;
        }
    }

    /// <summary>What a person needs to judge the path: where it goes, what the NATs did, why direct failed.</summary>
    public PathReport Report(TimeSpan? roundTrip)
    {
        var match = _attempt.Match;
        // The relay the session is on, or would fall back to: TURN while it is usable, the signaling server's otherwise.
        var onTurn = IsOnTurn || (!IsRelayed && TurnPeer is not null);
        var turnServer = onTurn ? _turn!.Server : null;
        return new PathReport(TransportKind.Udp, Path, _channel.RemoteEndPoint)
        {
            MeasuresRoundTrip = true,
            RoundTrip = roundTrip,
            PeerToPeer = new PeerToPeerReport(
                turnServer ?? _relay, _attempt.LocalPort, match?.ReflexiveAddress, match?.PeerReflexiveAddress, match?.PeerHostCandidates ?? [], DirectFailure)
            {
                TurnServer = turnServer,
            },
        };
    }

    /// <summary>
    /// Stops the health checks and upgrade attempts and completes <see cref="Changes"/>; the channel itself is left to
    /// its owner.
    /// </summary>
    public void Dispose()
    {
        _subscriptions.Dispose();
        _changes.OnCompleted();
    }

    /// <summary>
    /// Toward a direct address: always (an upgrade, or a NAT rebinding). Toward the relay: only once nothing has
    /// arrived on the direct path for a moment, so stray relayed packets still in flight after an upgrade do not
    /// drag the session back.
    /// </summary>
    bool IPathPolicy.AllowMove(IPEndPoint current, IPEndPoint candidate, out PathMoveReason reason)
    {
        if (!IsRelay(candidate))
        {
            reason = IsRelay(current) ? PathMoveReason.Upgraded : PathMoveReason.Roamed;
            return true;
        }
        reason = PathMoveReason.FollowedPeerToRelay;
        return _scheduler.Now - LastHeardOnCurrentPath >= _options.FollowToRelayAfter;
    }

    void IPathPolicy.Heard(IPEndPoint from, DateTimeOffset at, bool onCurrentPath)
    {
        if (!onCurrentPath)
            return;
        lock (_gate)
            _lastHeardOnCurrentPath = at;
    }

    void IPathPolicy.Sent(DateTimeOffset at)
    {
        lock (_gate)
            _lastSent = at;
    }

    void IPathPolicy.Moved(PathMove move)
    {
        var toRelay = IsRelay(move.Address);
        if (toRelay && move.Reason != PathMoveReason.RelayLost)
        {
            lock (_gate)
                _directFailure = DirectPathFailure.MovedToRelay(move.Reason, move.Reason == PathMoveReason.DirectSilent ? _options.DirectSilence : _options.FollowToRelayAfter);
            StartUpgrading();
        }
        else if (!toRelay)
        {
            _upgrading.Disposable = null;
            Learn(move.Address);
        }
        _attempt.Birthday.PathChanged(_channel, toRelay);
        _changes.OnNext(new PathChange(toRelay ? PathKind.Relay : PathKind.Direct, move.Address, move.Reason));
    }

    private DateTimeOffset LastHeardOnCurrentPath
    {
        get
        {
            lock (_gate)
                return _lastHeardOnCurrentPath;
        }
    }

    /// <summary>At most this many direct addresses learned after the handshake (peer-reflexive ones) are kept for upgrade probes, the latest ones.</summary>
    internal const int MaxLearnedAddresses = 4;

    /// <summary>The addresses an upgrade probes: the candidates, then the direct addresses the session was on since.</summary>
    internal IReadOnlyList<IPEndPoint> ProbedAddresses
    {
        get
        {
            lock (_gate)
                return [.. _candidates];
        }
    }

    /// <summary>
    /// The session moved to a direct address on an authenticated packet (a peer-reflexive one: a birthday hit, a NAT
    /// rebinding, an unannounced port): it joins the upgrade probes, so a fall back to the relay can come back to it.
    /// </summary>
    private void Learn(IPEndPoint address)
    {
        lock (_gate)
        {
            if (_candidates.Contains(address))
                return;
            if (_candidates.Count - _announced >= MaxLearnedAddresses)
                _candidates.RemoveAt(_announced);
            _candidates.Add(address);
        }
    }

    /// <summary>While relayed: punch and probe every candidate (and every direct address learned since), at 1 s, then backing off to every 16 s.</summary>
    private void StartUpgrading()
    {
        var backoff = new Backoff(_options.FirstUpgradeTry, _options.LastUpgradeInterval);
        var interval = backoff.Initial;
        _upgrading.Disposable = _scheduler.Schedule(interval, self =>
        {
            if (!IsRelayed)
                return;
            _attempt.SendProbeRound();
            foreach (var candidate in ProbedAddresses)
                _ = ProbeQuietly(candidate);
            interval = backoff.Next(interval);
            self(interval);
        });
    }

    /// <summary>While direct: a path we keep talking into without hearing back has died; move to the relay.</summary>
    private void CheckDirectPath()
    {
        if (IsRelayed || !DirectIsSilent())
            return;
        var relay = FallbackRelay;
        _channel.SwitchPath(relay, PathMoveReason.DirectSilent);
        _ = ProbeQuietly(relay);
    }

    /// <summary>The peer's relayed address while the TURN relay is usable (and not lost).</summary>
    private IPEndPoint? TurnPeer
    {
        get
        {
            lock (_gate)
            {
                if (_turnLost)
                    return null;
            }
            return _turn?.PeerRelayed;
        }
    }

    /// <summary>Where a dead direct path falls back to: the TURN relay while it is usable, the signaling server's otherwise.</summary>
    private IPEndPoint FallbackRelay => TurnPeer ?? _relay;

    private bool IsRelay(IPEndPoint? address) =>
        address is not null && (_relay.Equals(address) || address.Equals(_turn?.PeerRelayed));

    /// <summary>When the TURN server stops relaying for us (its allocation lost), a session on it moves to the signaling server's relay.</summary>
    private async Task WatchTurnAsync(TurnRelay turn)
    {
        if (await turn.Ready.ConfigureAwait(false) is null || turn.Client is not { } client)
            return;
        if (await client.Lost.ConfigureAwait(false) is null)
            return; // disposed: the session ended
        bool wasOnTurn;
        lock (_gate)
        {
            wasOnTurn = !_turnLost && turn.PeerRelayed is { } peer && peer.Equals(_channel.RemoteEndPoint);
            _turnLost = true;
        }
        if (wasOnTurn)
        {
            _channel.SwitchPath(_relay, PathMoveReason.RelayLost);
            _ = ProbeQuietly(_relay);
        }
    }

    /// <summary>We keep sending on the direct path and nothing has come back on it for <see cref="PeerToPeerOptions.DirectSilence"/>.</summary>
    private bool DirectIsSilent()
    {
        DateTimeOffset lastHeard, lastSent;
        lock (_gate)
        {
            lastHeard = _lastHeardOnCurrentPath;
            lastSent = _lastSent;
        }
        return lastSent - lastHeard >= _options.DirectSilence && _scheduler.Now - lastHeard >= _options.DirectSilence;
    }

    private async Task ProbeQuietly(IPEndPoint address)
    {
        try
        {
            await _channel.ProbeAsync(address).ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // A lost probe: the next round tries again; the session itself reports a real end.
        }
    }
}
