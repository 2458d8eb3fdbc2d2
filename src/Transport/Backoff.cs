namespace SecretChat.Transport;

/// <summary>
/// A capped doubling wait: <see cref="Initial"/>, twice that, four times... never more than <see cref="Max"/>.
/// What every retransmission and retry here waits between tries.
/// </summary>
public readonly record struct Backoff(TimeSpan Initial, TimeSpan Max)
{
    /// <summary>The wait before try number <paramref name="attempt"/> + 1 (0: the first retry waits <see cref="Initial"/>).</summary>
    public TimeSpan Delay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var shift = Math.Min(attempt, 16);
        return Initial.Ticks > Max.Ticks >> shift ? Max : TimeSpan.FromTicks(Initial.Ticks << shift);
    }

    /// <summary>The wait after <paramref name="current"/>: double it, within the cap.</summary>
    public TimeSpan Next(TimeSpan current) => TimeSpan.FromTicks(Math.Min(current.Ticks * 2, Max.Ticks));
}
