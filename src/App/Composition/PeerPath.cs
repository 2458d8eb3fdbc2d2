using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Transport;

namespace SecretChat.App.Composition;

/// <summary>
/// Keeps a punched session on the best path it can prove: while relayed, it keeps punching and sends
/// authenticated path probes toward the peer's candidates (with backoff); the first that gets through moves
/// both sides to the direct path. While direct, it watches for the path going silent and moves the
/// session back to the relay. Nothing is lost in a move: the reliability layer inside the sealed payloads
/// retransmits whatever was in flight, and the session keys never change.
/// </summary>
public sealed class PeerPath : IPeerPath
{
    /// <summary>Talking into a silent direct path this long (sending, hearing nothing) means it has died.</summary>
    public static readonly TimeSpan DirectSilence = TimeSpan.FromSeconds(3);

    /// <summary>A peer reaching us through the relay is followed once the direct path has been quiet this long.</summary>
    private static readonly TimeSpan FollowToRelayAfter = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstUpgradeTry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastUpgradeInterval = TimeSpan.FromSeconds(16);
    private static readonly TimeSpan HealthCheck = TimeSpan.FromSeconds(1);

    private readonly SecureDatagramChannel _channel;
    private readonly IPEndPoint _relay;
    private readonly IReadOnlyList<IPEndPoint> _candidates;
    private readonly IScheduler _scheduler;
    private readonly PunchAttempt _attempt;
    private readonly Subject<PathChange> _changes = new();
    private readonly SerialDisposable _upgrading = new();
    private readonly CompositeDisposable _subscriptions = [];
    private readonly Lock _gate = new();
    private string? _directFailure;
    private string _pendingReason = "";

    internal PeerPath(SecureDatagramChannel channel, IPEndPoint relay, IReadOnlyList<IPEndPoint> candidates, IScheduler scheduler, PunchAttempt attempt, string? directFailure)
    {
        _channel = channel;
        _relay = relay;
        _candidates = candidates;
        _scheduler = scheduler;
        _attempt = attempt;
        _directFailure = directFailure;

        _channel.RoamingPolicy = AllowMove;
        _subscriptions.Add(_channel.PathChanges.Subscribe(OnMoved));
        _subscriptions.Add(_scheduler.SchedulePeriodic(HealthCheck, CheckDirectPath));
        _subscriptions.Add(_upgrading);
        if (IsRelayed)
            StartUpgrading();
    }

    /// <summary><c>relay</c> or <c>direct</c>.</summary>
    public string Name => IsRelayed ? "relay" : "direct";

    public bool IsRelayed => _relay.Equals(_channel.RemoteEndPoint);

    /// <summary>Each move, with the reason.</summary>
    public IObservable<PathChange> Changes => _changes.AsObservable();

    /// <summary>The relay's limit notices, one sentence each.</summary>
    public IObservable<string> Notices => _attempt.RelayNotices;

    /// <summary>Why the session is not (or was not) on the direct path, when it is known.</summary>
    public string? DirectFailure
    {
        get
        {
            lock (_gate)
                return _directFailure;
        }
    }

    /// <summary>What a person needs to judge the path: where it goes, what the NATs did, why direct failed.</summary>
    public string Describe(TimeSpan? roundTrip)
    {
        var text = new StringBuilder();
        text.Append($"path: {Name}, peer at {_channel.RemoteEndPoint}");
        text.Append(roundTrip is { } rtt ? $", round trip {rtt.TotalMilliseconds:0} ms" : ", round trip not measured yet");
        if (IsRelayed)
            text.Append($"\nrelay: the signaling server {_relay} forwards the sealed datagrams (it cannot read or alter them)");
        if (_attempt.Match is { } match)
        {
            text.Append($"\nthis side: public address {match.ReflexiveAddress} (local port {_attempt.LocalPort}: {MappingNote(_attempt.LocalPort, match.ReflexiveAddress)})");
            text.Append($"\npeer: public address {match.PeerReflexiveAddress}, host addresses {string.Join(", ", match.PeerHostCandidates)}");
        }
        text.Append("\nNAT mapping behaviour toward several destinations is not measured here; run 'secretchat netcheck' on each side.");
        if (DirectFailure is { } failure)
            text.Append($"\ndirect path: {failure}");
        return text.ToString();
    }

    public void Dispose()
    {
        _subscriptions.Dispose();
        _changes.OnCompleted();
    }

    /// <summary>
    /// The channel asks before following an authenticated packet to a new address. Toward a direct address:
    /// always (an upgrade, or a NAT rebinding). Toward the relay: only once nothing has arrived on the direct
    /// path for a moment, so stray relayed packets still in flight after an upgrade do not drag the session back.
    /// </summary>
    private bool AllowMove(IPEndPoint current, IPEndPoint candidate)
    {
        if (!_relay.Equals(candidate))
        {
            Reason(_relay.Equals(current) ? "a direct path to the peer answered" : "the peer's address changed (NAT rebinding)");
            return true;
        }
        if (_scheduler.Now - _channel.LastReceiveOnCurrentPath >= FollowToRelayAfter)
        {
            Reason("the peer moved to the relay: nothing arrives on the direct path any more");
            return true;
        }
        return false;
    }

    private void OnMoved(IPEndPoint address)
    {
        string reason;
        lock (_gate)
        {
            reason = _pendingReason;
            _pendingReason = "";
        }
        if (IsRelayed)
        {
            lock (_gate)
                _directFailure = reason;
            StartUpgrading();
        }
        else
        {
            _upgrading.Disposable = null;
        }
        _changes.OnNext(new PathChange(Name, address, reason));
    }

    /// <summary>While relayed: punch and probe every candidate, at 1 s, then backing off to every 16 s.</summary>
    private void StartUpgrading()
    {
        var interval = FirstUpgradeTry;
        _upgrading.Disposable = _scheduler.Schedule(interval, self =>
        {
            if (!IsRelayed)
                return;
            _attempt.SendProbeRound();
            foreach (var candidate in _candidates)
                _ = ProbeQuietly(candidate);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, LastUpgradeInterval.Ticks));
            self(interval);
        });
    }

    /// <summary>While direct: a path we keep talking into without hearing back has died; move to the relay.</summary>
    private void CheckDirectPath()
    {
        if (IsRelayed || !DirectIsSilent())
            return;
        Reason($"the direct path stopped answering for {DirectSilence.TotalSeconds:0} s");
        _channel.SwitchPath(_relay);
        _ = ProbeQuietly(_relay);
    }

    /// <summary>We keep sending on the direct path and nothing has come back on it for <see cref="DirectSilence"/>.</summary>
    private bool DirectIsSilent()
    {
        var lastHeard = _channel.LastReceiveOnCurrentPath;
        return _channel.LastSend - lastHeard >= DirectSilence && _scheduler.Now - lastHeard >= DirectSilence;
    }

    private void Reason(string reason)
    {
        lock (_gate)
            _pendingReason = reason;
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

    private static string MappingNote(int localPort, IPEndPoint reflexive) => localPort == reflexive.Port
        ? "the NAT kept the port, a sign of endpoint-independent mapping"
        : "the NAT changed the port";
}
