using SecretChat.Transport.Reliability;

namespace SecretChat.Transport.Tests.Reliability;

public class RoundTripEstimatorTests
{
    private static RoundTripEstimator Create() =>
        new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));

    [Fact]
    public void AddSample_First_SetsSrttAndHalfVariation()
    {
        var rtt = Create();
        Assert.Equal(TimeSpan.FromSeconds(1), rtt.RetransmissionTimeout);
        Assert.Null(rtt.SmoothedRtt);

        rtt.AddSample(TimeSpan.FromMilliseconds(100));

        Assert.Equal(TimeSpan.FromMilliseconds(100), rtt.SmoothedRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(50), rtt.RttVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(300), rtt.RetransmissionTimeout);
    }

    [Fact]
    public void AddSample_Second_UsesAlphaEighthAndBetaQuarter()
    {
        var rtt = Create();
        rtt.AddSample(TimeSpan.FromMilliseconds(100));

        rtt.AddSample(TimeSpan.FromMilliseconds(300));

        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 300| = 87.5; SRTT = 7/8 * 100 + 1/8 * 300 = 125.
        Assert.Equal(TimeSpan.FromMilliseconds(87.5), rtt.RttVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(125), rtt.SmoothedRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(475), rtt.RetransmissionTimeout);
    }

    [Fact]
    public void AddSample_Tiny_ClampsToMinimum()
    {
        var rtt = Create();
        rtt.AddSample(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), rtt.RetransmissionTimeout);
    }

    [Fact]
    public void BackOff_Repeated_DoublesUpToMaximum()
    {
        var rtt = Create();
        var seen = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            rtt.BackOff();
            seen.Add(rtt.RetransmissionTimeout.TotalSeconds);
        }
        Assert.Equal(new double[] { 2, 4, 8, 10, 10, 10 }, seen);
    }
}
