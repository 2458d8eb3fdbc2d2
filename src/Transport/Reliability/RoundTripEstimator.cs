namespace SecretChat.Transport.Reliability;

/// <summary>The retransmission timeout of RFC 6298: SRTT and RTTVAR from samples, clamped, doubled on expiry.</summary>
internal sealed class RoundTripEstimator
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;

    public RoundTripEstimator(TimeSpan initial, TimeSpan min, TimeSpan max)
    {
        _min = min;
        _max = max;
        RetransmissionTimeout = Clamp(initial);
    }

    public TimeSpan? SmoothedRtt { get; private set; }
    public TimeSpan RttVariation { get; private set; }
    public TimeSpan RetransmissionTimeout { get; private set; }

    /// <summary>Takes a sample from a packet sent exactly once (Karn's rule is the caller's).</summary>
    public void AddSample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
            rtt = TimeSpan.Zero;
        if (SmoothedRtt is not { } srtt)
        {
            SmoothedRtt = rtt;
            RttVariation = rtt / 2;
        }
        else
        {
            // RFC 6298 2.3: beta = 1/4, alpha = 1/8, RTTVAR updated with the old SRTT.
            RttVariation = (RttVariation * 3 + (srtt - rtt).Duration()) / 4;
            SmoothedRtt = (srtt * 7 + rtt) / 8;
        }
        // The clock granularity G is one tick of the scheduler: negligible.
        RetransmissionTimeout = Clamp(SmoothedRtt.Value + RttVariation * 4);
    }

    /// <summary>RFC 6298 5.5: the timer expired, so back off.</summary>
    public void BackOff() => RetransmissionTimeout = Clamp(new Backoff(_min, _max).Next(RetransmissionTimeout));

    private TimeSpan Clamp(TimeSpan value) => value < _min ? _min : value > _max ? _max : value;
}
