namespace SecretChat.Transport.Stun;

/// <summary>Retransmission of STUN requests over UDP (RFC 8489 §6.2.1): RTO, Rc and Rm.</summary>
public sealed record StunClientOptions
{
    /// <summary>The first retransmission timeout; it doubles after every request (RFC default 500 ms).</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rc: how many requests are sent in all (RFC default 7).</summary>
    public int MaxRequests { get; init; } = 7;

    /// <summary>Rm: after the last request, wait this many RTOs for an answer (RFC default 16).</summary>
    public int LastWaitFactor { get; init; } = 16;

    /// <summary>SOFTWARE sent in requests; null sends none.</summary>
    public string? Software { get; init; }

    /// <summary>How long a transaction may take before it fails: RTO·(2^(Rc−1) − 1) + Rm·RTO (39.5 s with the RFC defaults).</summary>
    public TimeSpan TransactionTimeout =>
        InitialRto * ((1L << (MaxRequests - 1)) - 1) + InitialRto * LastWaitFactor;

    internal void Validate()
    {
        if (InitialRto <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(InitialRto), InitialRto, "The RTO must be positive.");
        if (MaxRequests is < 1 or > 16)
            throw new ArgumentOutOfRangeException(nameof(MaxRequests), MaxRequests, "Rc must be from 1 to 16.");
        if (LastWaitFactor < 1)
            throw new ArgumentOutOfRangeException(nameof(LastWaitFactor), LastWaitFactor, "Rm must be at least 1.");
    }
}
