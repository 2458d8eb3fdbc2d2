namespace SecretChat.Security.Datagrams;

/// <summary>
/// A token bucket on the scheduler's clock that bounds what strangers make a listener say: the rejects it sends toward
/// sources that have not proved their address and the log lines about them. One bucket for all sources, since a forged
/// source can be anything. Not thread-safe: the listener calls it under its lock.
/// </summary>
internal sealed class RejectAllowance
{
    private readonly double _perSecond;
    private readonly double _burst;
    private double _tokens;
    private DateTimeOffset _refilledAt;

    public RejectAllowance(double perSecond, double burst, DateTimeOffset now)
    {
        _perSecond = perSecond;
        _burst = burst;
        _tokens = burst;
        _refilledAt = now;
    }

    public bool TryTake(DateTimeOffset now)
    {
        var elapsed = (now - _refilledAt).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_burst, _tokens + elapsed * _perSecond);
            _refilledAt = now;
        }
        if (_tokens < 1)
            return false;
        _tokens--;
        return true;
    }
}
