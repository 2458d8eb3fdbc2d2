namespace SecretChat.Transport.Reliability;

/// <summary>A snapshot of a <see cref="ReliableSession"/>'s counters.</summary>
public sealed record ReliabilityStatistics
{
    /// <summary>Payloads handed to the transmit callback, of every type, retransmissions included.</summary>
    public long PacketsSent { get; init; }
    /// <summary>Well-formed payloads received, of every type.</summary>
    public long PacketsReceived { get; init; }
    /// <summary>Data and close packets sent again, for any reason.</summary>
    public long Retransmissions { get; init; }
    /// <summary>The subset of <see cref="Retransmissions"/> triggered by acknowledgements rather than the timer.</summary>
    public long FastRetransmissions { get; init; }
    /// <summary>Retransmission timer expiries (each one backs the timeout off).</summary>
    public long Timeouts { get; init; }
    /// <summary>Acknowledgement packets sent.</summary>
    public long AcksSent { get; init; }
    /// <summary>Keepalive packets sent because nothing else had been sent for the keepalive interval.</summary>
    public long KeepAlivesSent { get; init; }
    /// <summary>Payloads dropped because they were truncated, of an unknown version or type, or inconsistent.</summary>
    public long MalformedDropped { get; init; }
    /// <summary>Data or close packets received again (already delivered or already buffered).</summary>
    public long DuplicatesReceived { get; init; }
    /// <summary>
    /// Whole messages accepted by <see cref="ReliableSession.SendAsync"/> (a message may span several packets).
    /// </summary>
    public long MessagesSent { get; init; }
    /// <summary>Whole messages reassembled and delivered to <see cref="ReliableSession.Messages"/>.</summary>
    public long MessagesReceived { get; init; }
    /// <summary>The smoothed round-trip time, or <see langword="null"/> before the first sample.</summary>
    public TimeSpan? SmoothedRoundTripTime { get; init; }
    /// <summary>The round-trip time's variation (RTTVAR of RFC 6298), zero before the first sample.</summary>
    public TimeSpan RoundTripTimeVariation { get; init; }
    /// <summary>The current retransmission timeout, backoff included.</summary>
    public TimeSpan RetransmissionTimeout { get; init; }
    /// <summary>
    /// The congestion window in bytes of reliability packets, or <see langword="null"/> when
    /// <see cref="ReliabilityOptions.CongestionControl"/> is off.
    /// </summary>
    public long? CongestionWindow { get; init; }
    /// <summary>Times the congestion window was reduced: a loss (at most once per round trip), or persistent congestion.</summary>
    public long CongestionEvents { get; init; }
}
