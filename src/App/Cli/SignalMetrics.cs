using Prometheus;
using SecretChat.Signaling;

namespace SecretChat.Cli;

/// <summary>
/// The signaling server's statistics as Prometheus metrics. <see cref="SignalingStatistics"/> stays the one place that
/// counts: each scrape copies its counters into the registry (a counter only moves up to the value read), so nothing is
/// counted twice and the Signaling library knows nothing of Prometheus.
/// </summary>
internal sealed class SignalMetrics
{
    /// <summary>Every metric's name starts with this.</summary>
    public const string Prefix = "secretchat_signal_";

    private readonly SignalingStatistics _statistics;
    private readonly Gauge _roomsOpen;
    private readonly Gauge _members;
    private readonly Counter _datagrams;
    private readonly Counter _registrations;
    private readonly Counter _roomsCreated;
    private readonly Counter _matches;
    private readonly Counter _roomsExpired;
    private readonly Counter _stunAnswers;
    private readonly Counter _relayedPackets;
    private readonly Counter _relayedBytes;
    private readonly Counter _relayNotices;
    private readonly Counter _cookies;
    private readonly Counter _dropped;
    private readonly Counter _refused;

    public SignalMetrics(SignalingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        _statistics = statistics;
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _roomsOpen = factory.CreateGauge(Prefix + "rooms", "Rooms open now.");
        _members = factory.CreateGauge(Prefix + "members", "Peers registered in open rooms now.");
        _datagrams = factory.CreateCounter(Prefix + "datagrams_received_total", "Datagrams received on the server's UDP socket, of every kind.");
        _registrations = factory.CreateCounter(Prefix + "registrations_total", "Registers that made a peer a member of a room (opened it, or joined it as the second).");
        _roomsCreated = factory.CreateCounter(Prefix + "rooms_created_total", "Rooms opened by a first Register.");
        _matches = factory.CreateCounter(Prefix + "matches_total", "Rooms whose two peers were sent each other's candidates.");
        _roomsExpired = factory.CreateCounter(Prefix + "rooms_expired_total", "Rooms removed after their time to live without traffic.");
        _stunAnswers = factory.CreateCounter(Prefix + "stun_answers_total", "STUN Binding requests answered.");
        _relayedPackets = factory.CreateCounter(Prefix + "relayed_packets_total", "Datagrams the built-in relay forwarded to the other peer of their room.");
        _relayedBytes = factory.CreateCounter(Prefix + "relayed_bytes_total", "Payload bytes the built-in relay forwarded.");
        _relayNotices = factory.CreateCounter(Prefix + "relay_notices_total", "Relay-limit notices sent to peers (at most one a second per peer).");
        _cookies = factory.CreateCounter(Prefix + "cookies_sent_total", "Cookies sent to sources that had not yet proved their address.");
        _dropped = factory.CreateCounter(Prefix + "dropped_total", "Datagrams dropped or not answered, by reason.", "reason");
        _refused = factory.CreateCounter(Prefix + "refused_total", "Registers and keepalives refused with an error, by reason.", "reason");
        Registry.AddBeforeCollectCallback(Update);
        // The process's own: resident memory, CPU seconds, open handles, GC (what memory per room is read from).
        DotNetStats.Register(Registry);
    }

    /// <summary>The registry a scrape reads; every metric in it is updated from the statistics just before.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The Prometheus text format of the current values.</summary>
    public Task WriteAsync(Stream output, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(output, cancellationToken);

    private void Update()
    {
        var s = _statistics;
        _roomsOpen.Set(s.OpenRooms);
        _members.Set(s.Members);
        _datagrams.IncTo(s.DatagramsReceived);
        // Every Register that admits a member either opens its room or pairs it: the two counters are the registrations.
        _registrations.IncTo(s.RoomsCreated + s.RoomsPaired);
        _roomsCreated.IncTo(s.RoomsCreated);
        _matches.IncTo(s.RoomsPaired);
        _roomsExpired.IncTo(s.RoomsExpired);
        _stunAnswers.IncTo(s.StunRequestsAnswered);
        _relayedPackets.IncTo(s.RelayPacketsForwarded);
        _relayedBytes.IncTo(s.RelayBytesForwarded);
        _relayNotices.IncTo(s.RelayNoticesSent);
        _cookies.IncTo(s.CookiesSent);
        foreach (var (reason, value) in Dropped(s))
            _dropped.WithLabels(reason).IncTo(value);
        foreach (var (reason, value) in Refused(s))
            _refused.WithLabels(reason).IncTo(value);
    }

    /// <summary>The label values of <c>secretchat_signal_dropped_total</c> and the counter each one reads.</summary>
    public static IEnumerable<(string Reason, long Value)> Dropped(SignalingStatistics s) =>
    [
        ("malformed", s.MalformedDropped),
        ("unexpected", s.UnexpectedDropped),
        ("rate_limited", s.RateLimitedDropped),
        ("wrong_token", s.TokenRejected),
        ("reply_withheld", s.RepliesWithheld),
        ("send_failed", s.SendFailures),
        ("relay_not_member", s.RelayDroppedNotMember),
        ("relay_no_peer", s.RelayDroppedNoPeer),
        ("relay_too_large", s.RelayDroppedTooLarge),
        ("relay_rate", s.RelayDroppedRate),
        ("relay_total", s.RelayDroppedTotal),
        ("relay_disabled", s.RelayDroppedDisabled),
    ];

    /// <summary>The label values of <c>secretchat_signal_refused_total</c> and the counter each one reads.</summary>
    public static IEnumerable<(string Reason, long Value)> Refused(SignalingStatistics s) =>
    [
        ("room_full", s.RefusedRoomFull),
        ("server_full", s.RefusedServerFull),
        ("rooms_per_source", s.RefusedRoomsPerSource),
        ("bad_request", s.RefusedBadRequest),
        ("version", s.RefusedVersion),
        ("unknown_room", s.RefusedUnknownRoom),
    ];
}
