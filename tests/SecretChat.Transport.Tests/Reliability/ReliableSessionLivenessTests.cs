using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;
using static SecretChat.Transport.Tests.Reliability.ManualWire;
using static SecretChat.Transport.Tests.Reliability.ReliableSessionDeliveryTests;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionLivenessTests
{
    private static long Ticks(double seconds) => TimeSpan.FromSeconds(seconds).Ticks;

    [Fact]
    public void KeepAlive_SilenceFromUs_SentAfterIntervalAndAnswered()
    {
        using var wire = new ManualWire();

        wire.Run(TimeSpan.FromSeconds(15) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(wire.SentByA);
        wire.Scheduler.AdvanceBy(Ticks(0.001));

        var keepAlive = Assert.Single(wire.AtoB, p => TypeOf(p) == ReliabilityPacketType.KeepAlive);
        Assert.Equal(Ticks(15), wire.SentByA[0].Time);
        Assert.Equal(1, wire.A.Statistics.KeepAlivesSent);
        wire.B.Receive(keepAlive);
        Assert.Contains(wire.BtoA, p => TypeOf(p) == ReliabilityPacketType.Ack); // answered at once
    }

    [Fact]
    public void KeepAlive_TrafficFlowing_NotSent()
    {
        using var wire = new ManualWire();

        for (var i = 0; i < 20; i++)
        {
            wire.A.SendAsync(Pattern(10, i));
            wire.Run(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(0, wire.A.Statistics.KeepAlivesSent);
        Assert.Equal(0, wire.B.Statistics.KeepAlivesSent); // its acks are traffic too
        Assert.Null(wire.ErrorA);
        Assert.Null(wire.ErrorB);
    }

    [Fact]
    public void KeepAlive_IdleHealthyLink_KeepsBothSidesAliveIndefinitely()
    {
        using var pair = new SessionPair(new ReliabilityOptions(), new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(30) });

        pair.Scheduler.AdvanceBy(Ticks(600));

        Assert.Null(pair.ErrorA);
        Assert.Null(pair.ErrorB);
        // Started together, both sides' timers tie every 15 s; a real pair drifts apart and one side leads.
        Assert.InRange(pair.A.Statistics.KeepAlivesSent + pair.B.Statistics.KeepAlivesSent, 39, 80);
    }

    [Fact]
    public void DeadPeer_LinkGoesSilent_ReportedAtDeadPeerTimeout()
    {
        using var wire = new ManualWire(new ReliabilityOptions { AckDelay = TimeSpan.FromMilliseconds(10) });
        wire.A.SendAsync(Pattern(10));
        wire.Run(TimeSpan.FromMilliseconds(20)); // B heard A at 0 ms; A heard B's delayed ack at 10 ms
        var sent = wire.B.SendAsync(Pattern(10)).AsTask();
        var waitAll = wire.B.WhenAllAcknowledgedAsync();

        wire.Scheduler.AdvanceTo(Ticks(30) - 1);
        Assert.Null(wire.ErrorB);
        wire.Scheduler.AdvanceTo(Ticks(30));
        var error = Assert.IsType<TimeoutException>(wire.ErrorB);
        Assert.Equal("No traffic from the peer for 30 s.", error.Message);
        Assert.True(sent.IsCompletedSuccessfully); // it had left; only the wait for its ack fails
        Assert.Same(error, waitAll.Exception?.InnerException);
        Assert.Throws<InvalidOperationException>(() => wire.B.SendAsync(Pattern(1)));

        wire.Scheduler.AdvanceTo(Ticks(30.010) - 1);
        Assert.Null(wire.ErrorA);
        wire.Scheduler.AdvanceTo(Ticks(30.010));
        Assert.IsType<TimeoutException>(wire.ErrorA);
    }

    [Fact]
    public void DeadPeer_SimulatedLinkCut_ReportedOnBothSides()
    {
        using var pair = new SessionPair(new ReliabilityOptions(), new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(20) });
        pair.A.SendAsync(Pattern(100));
        Assert.True(pair.RunUntil(() => pair.ReceivedByB.Count == 1, TimeSpan.FromSeconds(1)));

        pair.Link.Cut();
        Assert.True(pair.RunUntil(() => pair.ErrorA is not null && pair.ErrorB is not null, TimeSpan.FromSeconds(31)));

        Assert.IsType<TimeoutException>(pair.ErrorA);
        Assert.IsType<TimeoutException>(pair.ErrorB);
        Assert.True(pair.Link.Statistics.DroppedWhileCut > 0);
    }

    [Fact]
    public void DeadPeer_LinkRestoredInTime_SessionSurvives()
    {
        using var pair = new SessionPair(new ReliabilityOptions(), new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(20) });
        pair.Link.Cut();
        pair.A.SendAsync(Pattern(100, 1));
        pair.Scheduler.AdvanceBy(Ticks(20));

        pair.Link.Restore();
        Assert.True(pair.RunUntil(() => pair.ReceivedByB.Count == 1, TimeSpan.FromSeconds(20)));

        pair.Scheduler.AdvanceBy(Ticks(60));
        Assert.Null(pair.ErrorA);
        Assert.Null(pair.ErrorB);
    }

    [Fact]
    public void Retransmission_NeverAcknowledged_GivesUpWithTimeout()
    {
        var options = new ReliabilityOptions { MaxRetransmissions = 3, DeadPeerTimeout = TimeSpan.FromMinutes(10), KeepAliveInterval = TimeSpan.FromMinutes(5) };
        using var wire = new ManualWire(options);
        wire.A.SendAsync(Pattern(10));

        wire.Scheduler.AdvanceTo(Ticks(15) - 1); // sent at 0, resent at 1, 3 and 7
        Assert.Null(wire.ErrorA);
        Assert.Equal(3, wire.A.Statistics.Retransmissions);
        wire.Scheduler.AdvanceTo(Ticks(15));

        var error = Assert.IsType<TimeoutException>(wire.ErrorA);
        Assert.Contains("3 retransmissions", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, wire.AtoB.Count);
        var thrown = Assert.Throws<InvalidOperationException>(() => wire.A.SendAsync(Pattern(1)));
        Assert.Same(error, thrown.InnerException);
    }

    [Fact]
    public void Dispose_PendingSendAndTimers_FailsAndStops()
    {
        var wire = new ManualWire(new ReliabilityOptions { SendWindow = 1 });
        wire.A.SendAsync(Pattern(10, 1));
        var waiting = wire.A.SendAsync(Pattern(10, 2)).AsTask();

        wire.A.Dispose();
        wire.Scheduler.AdvanceBy(Ticks(100));

        Assert.IsType<ObjectDisposedException>(waiting.Exception?.InnerException);
        Assert.Single(wire.SentByA); // no retransmissions, no keepalives
        Assert.Null(wire.ErrorA);
        Assert.Throws<ObjectDisposedException>(() => wire.A.SendAsync(Pattern(1)));
        wire.A.Receive(wire.BtoA.FirstOrDefault() ?? [0x13, 0, 0, 0, 0]); // ignored, no throw
        wire.Dispose();
    }
}
