namespace SecretChat.Signaling;

/// <summary>
/// What one room may still relay: a token bucket of payload bytes (rate and burst) on the scheduler's clock, and a total
/// for the room's whole life. Both directions share it, so a room costs the server the same whoever sends.
/// </summary>
internal sealed class RoomRelayAllowance(long bytesPerSecond, long burstBytes, long totalBytes, DateTimeOffset now)
{
    private double _tokens = burstBytes;
    private DateTimeOffset _lastRefill = now;

    public long RelayedBytes { get; private set; }

    public RelayVerdict TryTake(int bytes, DateTimeOffset now)
    {
        if (RelayedBytes + bytes > totalBytes)
            return RelayVerdict.TotalExceeded;

        var elapsed = (now - _lastRefill).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(burstBytes, _tokens + (elapsed * bytesPerSecond));
            _lastRefill = now;
        }

        if (_tokens < bytes)
            return RelayVerdict.RateExceeded;
        _tokens -= bytes;
        RelayedBytes += bytes;
        return RelayVerdict.Allowed;
    }
}

internal enum RelayVerdict
{
    Allowed,
    RateExceeded,
    TotalExceeded,
}
