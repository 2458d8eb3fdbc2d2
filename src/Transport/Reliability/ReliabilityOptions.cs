namespace SecretChat.Transport.Reliability;

/// <summary>Tuning for a <see cref="ReliableSession"/>. Both peers should use the same values.</summary>
public sealed record ReliabilityOptions
{
    /// <summary>The defaults: the one home of the keepalive (15 s) and dead-peer (30 s) times that settings and help texts show.</summary>
    public static ReliabilityOptions Default { get; } = new();

    /// <summary>The largest payload handed to the transmit callback (the sealed datagram adds its own overhead).</summary>
    public int MaxPayloadSize { get; init; } = 1100;

    /// <summary>The largest message <see cref="ReliableSession.SendAsync"/> accepts and the peer reassembles.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Packets in flight before <see cref="ReliableSession.SendAsync"/> waits. It is also the receive
    /// window: the receiver buffers at most this many packets beyond the first one it is missing.
    /// </summary>
    public int SendWindow { get; init; } = 256;

    /// <summary>The retransmission timeout before the first round-trip sample (RFC 6298 suggests 1 s).</summary>
    public TimeSpan InitialRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The lower bound of the retransmission timeout computed from round-trip samples.</summary>
    public TimeSpan MinRetransmissionTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>The upper bound of the retransmission timeout, backoff included.</summary>
    public TimeSpan MaxRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an in-order arrival may wait for company before it is acknowledged. Zero (the default): it is
    /// acknowledged on the scheduler's next turn, once the arrivals being processed now are through, so an idle link
    /// acknowledges at once and a busy one once per burst, like QUIC's and TCP's immediate acknowledgement of a lone
    /// packet. A positive value is a delayed acknowledgement (TCP's delayed ACK, QUIC's max_ack_delay): fewer ACK
    /// packets, later news for the sender.
    /// </summary>
    public TimeSpan AckDelay { get; init; }

    /// <summary>
    /// Whether a congestion window (NewReno as RFC 9002 §7 gives it: ten packets to start, slow start, halved on loss
    /// once per round trip, two packets after persistent congestion) limits the bytes in flight besides
    /// <see cref="SendWindow"/>, so a fast path fills and a lossy or congested one is not flooded. On by default;
    /// off, only the fixed window and the timeout's backoff hold the sender back.
    /// </summary>
    public bool CongestionControl { get; init; } = true;

    /// <summary>Acknowledgements of later packets that declare an earlier one lost before its timer fires.</summary>
    public int FastRetransmitThreshold { get; init; } = 3;

    /// <summary>Silence from us after which we send a keepalive (holds NAT mappings open).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Silence from the peer after which it is declared dead.</summary>
    public TimeSpan DeadPeerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retransmissions of one packet after which the peer is declared dead.</summary>
    public int MaxRetransmissions { get; init; } = 12;

    internal void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }

        if (MaxPayloadSize < ReliabilityPacket.DataHeaderSize + 16 || MaxPayloadSize > 65_507)
            throw new ArgumentOutOfRangeException(nameof(MaxPayloadSize), MaxPayloadSize, $"Must be between {ReliabilityPacket.DataHeaderSize + 16} and 65507.");
        if (MaxMessageSize < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "Must not be negative.");
        // The window must fit the 16-bit offsets of selective-ack ranges.
        if (SendWindow < 1 || SendWindow > 32_768)
            throw new ArgumentOutOfRangeException(nameof(SendWindow), SendWindow, "Must be between 1 and 32768.");
        Positive(InitialRetransmissionTimeout, nameof(InitialRetransmissionTimeout));
        Positive(MinRetransmissionTimeout, nameof(MinRetransmissionTimeout));
        if (MaxRetransmissionTimeout < MinRetransmissionTimeout)
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmissionTimeout), MaxRetransmissionTimeout, "Must not be below MinRetransmissionTimeout.");
        if (AckDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AckDelay), AckDelay, "Must not be negative.");
        if (FastRetransmitThreshold < 1)
            throw new ArgumentOutOfRangeException(nameof(FastRetransmitThreshold), FastRetransmitThreshold, "Must be at least 1.");
        Positive(KeepAliveInterval, nameof(KeepAliveInterval));
        Positive(DeadPeerTimeout, nameof(DeadPeerTimeout));
        if (MaxRetransmissions < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmissions), MaxRetransmissions, "Must not be negative.");
    }
}
