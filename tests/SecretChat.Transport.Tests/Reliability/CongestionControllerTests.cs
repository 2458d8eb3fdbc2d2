using SecretChat.Transport.Reliability;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>The window arithmetic of RFC 9002 §7 (NewReno), packet by packet.</summary>
public class CongestionControllerTests
{
    private const int Packet = 1100;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double milliseconds) => T0 + TimeSpan.FromMilliseconds(milliseconds);

    [Theory]
    [InlineData(1100, 11_000)]   // ten packets
    [InlineData(1200, 12_000)]
    [InlineData(100, 1_000)]     // ten packets, however small
    [InlineData(9000, 18_000)]   // two jumbo packets: max(14,720, 2 x 9,000)
    public void InitialWindow_Rfc9002_TenPacketsBoundedBy14720(int packet, long window)
    {
        Assert.Equal(window, CongestionController.InitialWindowFor(packet));
        Assert.Equal(window, new CongestionController(packet).Window);
    }

    [Fact]
    public void CanSend_WindowFull_FalseUntilSomethingLeavesTheFlight()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(cc.CanSend);
            cc.OnSent(Packet);
        }

        Assert.False(cc.CanSend);
        Assert.Equal(11_000, cc.BytesInFlight);
        cc.BeginAcknowledgement();
        cc.OnAcknowledged(Packet, At(0));
        Assert.True(cc.CanSend);
    }

    [Fact]
    public void OnAcknowledged_SlowStart_GrowsByEveryByteAcknowledged()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);

        cc.BeginAcknowledgement(); // one ACK for the whole burst, as a receiver acknowledging per burst sends
        for (var i = 0; i < 10; i++)
            cc.OnAcknowledged(Packet, At(0));

        Assert.Equal(22_000, cc.Window); // doubled in one round trip
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void OnLost_FirstLoss_HalvesAndEndsSlowStart()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);

        cc.OnLost(Packet, At(0), At(50));

        Assert.Equal(5_500, cc.Window);
        Assert.Equal(5_500, cc.SlowStartThreshold);
        Assert.Equal(9 * Packet, cc.BytesInFlight);
        Assert.Equal(1, cc.CongestionEvents);
    }

    [Fact]
    public void OnLost_SameRoundTrip_HalvesOnlyOnce()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);

        cc.OnLost(Packet, At(0), At(50));
        cc.OnLost(Packet, At(1), At(51));  // sent before the recovery began: the same congestion
        Assert.Equal(5_500, cc.Window);
        Assert.Equal(1, cc.CongestionEvents);

        cc.OnLost(Packet, At(60), At(120)); // sent after it: new news
        Assert.Equal(2_750, cc.Window);
        Assert.Equal(2, cc.CongestionEvents);
    }

    [Fact]
    public void OnAcknowledged_PacketSentBeforeRecovery_DoesNotGrowTheWindow()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);
        cc.OnLost(Packet, At(0), At(50));

        cc.BeginAcknowledgement();
        cc.OnAcknowledged(Packet, At(10));

        Assert.Equal(5_500, cc.Window);
    }

    [Fact]
    public void OnAcknowledged_CongestionAvoidance_OnePacketPerWindowAcknowledged()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);
        cc.OnLost(Packet, At(0), At(50)); // window 5,500, threshold 5,500: congestion avoidance
        var window = cc.Window;

        // A window's worth of acknowledgements (of packets sent after the recovery began), the flight kept full.
        var acked = 0L;
        while (acked < window)
        {
            cc.OnSent(Packet);
            cc.BeginAcknowledgement();
            cc.OnAcknowledged(Packet, At(100));
            acked += Packet;
        }

        Assert.Equal(window + Packet, cc.Window);
    }

    [Fact]
    public void OnAcknowledged_ApplicationLimited_DoesNotGrowTheWindow()
    {
        // A chat sending one message at a time never proves that it could use a larger window.
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 100; i++)
        {
            cc.OnSent(Packet);
            cc.BeginAcknowledgement();
            cc.OnAcknowledged(Packet, At(i));
        }

        Assert.Equal(11_000, cc.Window);
    }

    [Fact]
    public void OnTimeout_FallsToTwoPacketsAndSlowStartsToTheThreshold()
    {
        var cc = new CongestionController(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnSent(Packet);
        for (var i = 0; i < 10; i++)
            cc.OnLost(Packet, At(0), At(300)); // the timeout condemns the flight

        cc.OnTimeout(At(300));

        Assert.Equal(2 * Packet, cc.Window);
        Assert.Equal(5_500, cc.SlowStartThreshold);
        Assert.Equal(1, cc.CongestionEvents); // one timeout, one reduction
        Assert.Equal(0, cc.BytesInFlight);
        cc.OnSent(Packet);
        cc.OnSent(Packet);
        cc.BeginAcknowledgement();
        cc.OnAcknowledged(Packet, At(301));
        cc.OnAcknowledged(Packet, At(301));
        Assert.Equal(4 * Packet, cc.Window); // slow start again

        cc.OnTimeout(At(900)); // the retransmissions were lost too
        Assert.Equal(2 * Packet, cc.Window);
        Assert.Equal(5_500, cc.SlowStartThreshold); // kept
        Assert.Equal(2, cc.CongestionEvents);
    }

    [Fact]
    public void OnLost_ManyRounds_NeverBelowTwoPackets()
    {
        var cc = new CongestionController(Packet);
        for (var round = 0; round < 20; round++)
        {
            cc.OnSent(Packet);
            cc.OnLost(Packet, At(round * 100 + 1), At(round * 100 + 50));
        }

        Assert.Equal(2 * Packet, cc.Window);
        Assert.Equal(0, cc.BytesInFlight);
    }
}
