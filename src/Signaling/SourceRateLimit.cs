using System.Net;

namespace SecretChat.Signaling;

/// <summary>
/// A token bucket per source IP address (IPv6: per /64, <see cref="SourceAddress"/>), on the scheduler's clock. The number of buckets is bounded: when the table is
/// full, new sources share one overflow bucket (a spoofed-source flood then throttles only newcomers, not known peers).
/// </summary>
internal sealed class SourceRateLimit
{
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly int _maxSources;
    private readonly Dictionary<IPAddress, Bucket> _buckets = [];
    private readonly Bucket _overflow;

    public SourceRateLimit(double ratePerSecond, double burst, int maxSources, DateTimeOffset now)
    {
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _maxSources = maxSources;
        _overflow = new Bucket(burst, now);
    }

    public int TrackedSources => _buckets.Count;

    /// <summary>Takes a token. <paramref name="firstRefusal"/> is true for the first refusal since the bucket last had tokens (answer that one only).</summary>
    public bool TryTake(IPAddress source, DateTimeOffset now, out bool firstRefusal)
    {
        source = SourceAddress.Key(source);
        if (!_buckets.TryGetValue(source, out var bucket))
        {
            if (_buckets.Count < _maxSources)
                _buckets[source] = bucket = new Bucket(_burst, now);
            else
                bucket = _overflow;
        }

        bucket.Refill(now, _ratePerSecond, _burst);
        if (bucket.Tokens >= 1)
        {
            bucket.Tokens -= 1;
            bucket.Refused = false;
            firstRefusal = false;
            return true;
        }

        firstRefusal = !bucket.Refused;
        bucket.Refused = true;
        return false;
    }

    /// <summary>Forgets sources whose bucket has refilled: they are indistinguishable from new ones.</summary>
    public void Sweep(DateTimeOffset now)
    {
        List<IPAddress>? idle = null;
        foreach (var (address, bucket) in _buckets)
        {
            bucket.Refill(now, _ratePerSecond, _burst);
            if (bucket.Tokens >= _burst)
                (idle ??= []).Add(address);
        }

        if (idle is not null)
        {
            foreach (var address in idle)
                _buckets.Remove(address);
        }
    }

    private sealed class Bucket(double tokens, DateTimeOffset now)
    {
        public double Tokens { get; set; } = tokens;

        public DateTimeOffset LastRefill { get; private set; } = now;

        public bool Refused { get; set; }

        public void Refill(DateTimeOffset now, double ratePerSecond, double burst)
        {
            var elapsed = (now - LastRefill).TotalSeconds;
            if (elapsed > 0)
            {
                Tokens = Math.Min(burst, Tokens + (elapsed * ratePerSecond));
                LastRefill = now;
            }
        }
    }
}
