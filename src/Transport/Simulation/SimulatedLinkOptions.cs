namespace SecretChat.Transport.Simulation;

/// <summary>How badly a <see cref="SimulatedLink"/> behaves. Each direction draws from the same seeded generator.</summary>
public sealed record SimulatedLinkOptions
{
    /// <summary>Seeds the generator, so a run is repeatable.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>One-way propagation delay.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(10);
    /// <summary>Extra delay drawn uniformly from [0, Jitter) for every datagram.</summary>
    public TimeSpan Jitter { get; init; }
    /// <summary>Probability that a datagram (or a duplicate of it) is lost.</summary>
    public double LossRate { get; init; }
    /// <summary>Probability that a datagram is delivered twice, each copy with its own delay.</summary>
    public double DuplicationRate { get; init; }
    /// <summary>Probability that a datagram is held back by an extra delay drawn from [0, ReorderDelay).</summary>
    public double ReorderRate { get; init; }
    /// <summary>The upper bound of the extra delay of a reordered datagram.</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Bytes per second each direction can carry; <see langword="null"/> for unlimited. Datagrams queue behind each other.</summary>
    public long? BytesPerSecond { get; init; }
    /// <summary>Datagrams larger than this are dropped, as a path MTU would; <see langword="null"/> for no limit.</summary>
    public int? MaxDatagramSize { get; init; }
    /// <summary>
    /// Bytes that may wait behind <see cref="BytesPerSecond"/> in each direction; a datagram that would not fit is
    /// dropped, as a router's drop-tail queue drops (congestion loss). <see langword="null"/> for an unbounded queue;
    /// without a rate nothing queues.
    /// </summary>
    public int? QueueLimit { get; init; }

    internal void Validate()
    {
        static void Probability(double value, string name)
        {
            if (!(value >= 0 && value <= 1))
                throw new ArgumentOutOfRangeException(name, value, "Must be between 0 and 1.");
        }

        Probability(LossRate, nameof(LossRate));
        Probability(DuplicationRate, nameof(DuplicationRate));
        Probability(ReorderRate, nameof(ReorderRate));
        if (Delay < TimeSpan.Zero || Jitter < TimeSpan.Zero || ReorderDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Delay), "Delays must not be negative.");
        if (BytesPerSecond is <= 0)
            throw new ArgumentOutOfRangeException(nameof(BytesPerSecond), BytesPerSecond, "Must be positive.");
        if (QueueLimit is <= 0)
            throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "Must be positive.");
        if (MaxDatagramSize is < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxDatagramSize), MaxDatagramSize, "Must not be negative.");
    }
}
