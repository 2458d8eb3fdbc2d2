namespace SecretChat.Transport.Reliability;

/// <summary>
/// NewReno congestion control as RFC 9002 §7 gives it for QUIC, in bytes of reliability packets: a congestion window
/// that starts at ten packets, grows by every byte acknowledged in slow start and by one packet per window in
/// congestion avoidance, halves once per round trip on loss (recovery), and falls to two packets when the retransmission
/// timer expires. Bytes in flight are the packets sent and neither acknowledged nor declared lost. Pure arithmetic: the
/// session decides what was sent, acknowledged and lost, and when.
/// </summary>
internal sealed class CongestionController
{
    /// <summary>RFC 9002 §7.2: min(10 · max_datagram_size, max(14,720, 2 · max_datagram_size)).</summary>
    public static long InitialWindowFor(int maxDatagramSize) => Math.Min(10L * maxDatagramSize, Math.Max(14_720L, 2L * maxDatagramSize));

    private readonly int _maxDatagramSize;
    private long _avoidanceCredit;           // bytes acknowledged toward the next one-packet increase
    private DateTimeOffset? _recoveryStart;  // when the last reduction happened; null: none yet, or recovery ended
    private long _flightBeforeAck;           // the flight when the acknowledgement being applied arrived

    public CongestionController(int maxDatagramSize)
    {
        _maxDatagramSize = maxDatagramSize;
        MinimumWindow = 2L * maxDatagramSize;
        Window = InitialWindowFor(maxDatagramSize);
    }

    /// <summary>The congestion window in bytes.</summary>
    public long Window { get; private set; }

    /// <summary>Slow start ends here; unbounded until the first loss.</summary>
    public long SlowStartThreshold { get; private set; } = long.MaxValue;

    /// <summary>Two packets (RFC 9002's kMinimumWindow).</summary>
    public long MinimumWindow { get; }

    /// <summary>Bytes of packets sent and not yet acknowledged or declared lost.</summary>
    public long BytesInFlight { get; private set; }

    /// <summary>Window reductions so far (a loss, at most once per round trip, and a timeout).</summary>
    public long CongestionEvents { get; private set; }

    /// <summary>Whether one more packet may leave: while the window is not full (the last one may overshoot it).</summary>
    public bool CanSend => BytesInFlight < Window;

    public void OnSent(int bytes) => BytesInFlight += bytes;

    /// <summary>An acknowledgement arrived; the packets it acknowledges follow (<see cref="OnAcknowledged"/>).</summary>
    /// <remarks>
    /// Whether the sender used its window is judged by the flight before the acknowledgement: one ACK may cover a whole
    /// burst, and the flight it drains packet by packet says nothing about the sender.
    /// </remarks>
    public void BeginAcknowledgement() => _flightBeforeAck = BytesInFlight;

    /// <summary>
    /// A packet sent at <paramref name="sentAt"/> was acknowledged. The window grows only with news from after the
    /// last reduction, and only while the sender was using at least half of it (RFC 9002 §7.8: an application-limited
    /// sender has not proved the larger window).
    /// </summary>
    public void OnAcknowledged(int bytes, DateTimeOffset sentAt)
    {
        BytesInFlight = Math.Max(0, BytesInFlight - bytes);
        if (InRecovery(sentAt) || _flightBeforeAck * 2 < Window)
            return;
        if (Window < SlowStartThreshold)
        {
            Window += bytes;
            return;
        }
        _avoidanceCredit += bytes;
        if (_avoidanceCredit >= Window)
        {
            _avoidanceCredit -= Window;
            Window += _maxDatagramSize;
        }
    }

    /// <summary>
    /// A packet sent at <paramref name="sentAt"/> was declared lost at <paramref name="now"/>: it leaves the flight, and
    /// unless it was sent before the current recovery began (the same round trip's news) the window halves.
    /// </summary>
    public void OnLost(int bytes, DateTimeOffset sentAt, DateTimeOffset now)
    {
        BytesInFlight = Math.Max(0, BytesInFlight - bytes);
        if (InRecovery(sentAt))
            return;
        _recoveryStart = now;
        CongestionEvents++;
        SlowStartThreshold = Math.Max(Window / 2, MinimumWindow);
        Window = SlowStartThreshold;
        _avoidanceCredit = 0;
    }

    private bool InRecovery(DateTimeOffset sentAt) => _recoveryStart is { } start && sentAt <= start;

    /// <summary>
    /// The retransmission timer expired (after <see cref="OnLost"/> for what it condemned): as TCP after a timeout
    /// (RFC 5681 §3.1), the window falls to the minimum and slow start climbs back to the threshold the loss set.
    /// A repeated timeout keeps the threshold (the loss of a retransmission says nothing new about the path).
    /// </summary>
    public void OnTimeout(DateTimeOffset now)
    {
        if (_recoveryStart != now)
            CongestionEvents++; // not counted already by the loss this timeout declared
        _recoveryStart = now;
        Window = MinimumWindow;
        _avoidanceCredit = 0;
    }
}
