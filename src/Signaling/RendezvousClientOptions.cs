namespace SecretChat.Signaling;

/// <summary>Timings of <see cref="RendezvousClient"/>.</summary>
public sealed record RendezvousClientOptions
{
    /// <summary>The first Register retransmission; it doubles up to <see cref="MaxRetransmit"/> (default 500 ms).</summary>
    public TimeSpan InitialRetransmit { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest gap between Register retransmissions (default 1 s: six Registers within the 5 s
    /// <see cref="ServerTimeout"/>; with 2 s there were four, and at 10 % loss each way a registration whose answers were lost
    /// timed out in one of five NAT-lab runs).
    /// </summary>
    public TimeSpan MaxRetransmit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the server may take to answer a Register, or to answer anything while we wait (default 5 s).</summary>
    public TimeSpan ServerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>While waiting for the peer: how often to send KeepAlive (default 5 s; under both the room TTL and typical NAT timeouts).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many <see cref="RedirectPacket"/>s the client follows after registering, or after moving to another server of
    /// its list (default 3): servers that keep redirecting are ignored rather than followed around.
    /// </summary>
    public int MaxRedirects { get; init; } = 3;

    internal void Validate()
    {
        if (MaxRedirects < 0) throw new ArgumentOutOfRangeException(nameof(MaxRedirects), MaxRedirects, "Must not be negative.");
        if (InitialRetransmit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(InitialRetransmit), InitialRetransmit, "Must be positive.");
        if (MaxRetransmit < InitialRetransmit) throw new ArgumentOutOfRangeException(nameof(MaxRetransmit), MaxRetransmit, "Must be at least InitialRetransmit.");
        if (ServerTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ServerTimeout), ServerTimeout, "Must be positive.");
        if (KeepAliveInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(KeepAliveInterval), KeepAliveInterval, "Must be positive.");
    }
}
