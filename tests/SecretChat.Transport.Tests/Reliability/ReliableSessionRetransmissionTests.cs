using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;
using static SecretChat.Transport.Tests.Reliability.ManualWire;
using static SecretChat.Transport.Tests.Reliability.ReliableSessionDeliveryTests;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionRetransmissionTests
{
    private static readonly ReliabilityOptions Patient = new()
    {
        KeepAliveInterval = TimeSpan.FromHours(1),
        DeadPeerTimeout = TimeSpan.FromHours(2),
        MaxRetransmissions = 50,
    };

    [Fact]
    public void Retransmit_FirstPacketLost_SelectiveAcksSpareTheOthers()
    {
        using var wire = new ManualWire(Patient with { FastRetransmitThreshold = 100 });
        for (var i = 0; i < 5; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB(p => SequenceOf(p) != 0);
        wire.DeliverToA();
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks); // the initial RTO

        var resent = Assert.Single(wire.AtoB);
        Assert.Equal(0u, SequenceOf(resent));
        Assert.Equal(1, wire.A.Statistics.Retransmissions);
        wire.Pump();
        Assert.Equal(5, wire.ReceivedByB.Count);
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks);
        Assert.Empty(wire.AtoB); // nothing needless later either
    }

    [Fact]
    public void Retransmit_ThreeLaterPacketsAcked_FastRetransmitsBeforeTimeout()
    {
        using var wire = new ManualWire(Patient);
        for (var i = 0; i < 4; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB(p => SequenceOf(p) != 0);
        wire.DeliverToA(); // three ACKs, each showing a later packet arrived while 0 did not

        var resent = Assert.Single(wire.AtoB);
        Assert.Equal(0u, SequenceOf(resent));
        Assert.Equal(1, wire.A.Statistics.FastRetransmissions);
        Assert.Equal(0, wire.A.Statistics.Timeouts);
        wire.Pump();
        Assert.Equal(Enumerable.Range(0, 4).Select(i => Pattern(10, i)), wire.ReceivedByB);
    }

    [Fact]
    public void Retransmit_PacketMerelyReorderedWithinRtt_NotFastRetransmitted()
    {
        using var wire = new ManualWire(Patient);
        wire.A.SendAsync(Pattern(10));
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);
        wire.Pump();
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        wire.Pump(); // SRTT is now 110 ms
        for (var i = 0; i < 4; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB(p => SequenceOf(p) != 1); // three later packets overtake packet 1 at once
        wire.DeliverToA();
        Assert.Empty(wire.AtoB);
        wire.B.Receive(wire.SentByA.Single(s => SequenceOf(s.Payload) == 1).Payload);
        wire.Run(TimeSpan.FromSeconds(5));

        Assert.Equal(0, wire.A.Statistics.Retransmissions);
        Assert.Equal(5, wire.ReceivedByB.Count);
    }

    [Fact]
    public void Retransmit_TwoLaterPacketsAcked_WaitsForTheTimer()
    {
        using var wire = new ManualWire(Patient);
        for (var i = 0; i < 3; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB(p => SequenceOf(p) != 0);
        wire.DeliverToA();

        Assert.Empty(wire.AtoB);
        Assert.Equal(0, wire.A.Statistics.FastRetransmissions);
    }

    [Fact]
    public void Retransmit_FastRetransmissionLostToo_FiresAgainOnNewEvidence()
    {
        using var wire = new ManualWire(Patient);
        for (var i = 0; i < 4; i++)
            wire.A.SendAsync(Pattern(10, i));
        wire.DeliverToB(p => SequenceOf(p) != 0);
        wire.DeliverToA();
        wire.AtoB.Clear(); // the fast retransmission is lost as well

        for (var i = 4; i < 7; i++)
            wire.A.SendAsync(Pattern(10, i));
        wire.DeliverToB();
        wire.DeliverToA();

        var resent = Assert.Single(wire.AtoB);
        Assert.Equal(0u, SequenceOf(resent));
        Assert.Equal(2, wire.A.Statistics.FastRetransmissions);
    }

    [Fact]
    public void Rto_FixedDelayLink_FollowsRfc6298()
    {
        // A delayed ack of 10 ms, so the samples hold an ack delay as a real path's would.
        using var pair = new SessionPair(Patient with { AckDelay = TimeSpan.FromMilliseconds(10) }, new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(50) });

        pair.A.SendAsync(Pattern(10));
        Assert.True(pair.RunUntil(() => pair.A.WhenAllAcknowledgedAsync().IsCompleted, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1)));
        var first = pair.A.Statistics;
        // 100 ms of path plus the 10 ms ack delay.
        Assert.Equal(TimeSpan.FromMilliseconds(110), first.SmoothedRoundTripTime);
        Assert.Equal(TimeSpan.FromMilliseconds(55), first.RoundTripTimeVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(330), first.RetransmissionTimeout);

        pair.A.SendAsync(Pattern(10));
        Assert.True(pair.RunUntil(() => pair.A.WhenAllAcknowledgedAsync().IsCompleted, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1)));
        var second = pair.A.Statistics;
        Assert.Equal(TimeSpan.FromMilliseconds(110), second.SmoothedRoundTripTime);
        Assert.Equal(TimeSpan.FromMilliseconds(41.25), second.RoundTripTimeVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(275), second.RetransmissionTimeout);

        for (var i = 0; i < 10; i++)
        {
            pair.A.SendAsync(Pattern(10));
            Assert.True(pair.RunUntil(() => pair.A.WhenAllAcknowledgedAsync().IsCompleted, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1)));
        }
        Assert.Equal(TimeSpan.FromMilliseconds(200), pair.A.Statistics.RetransmissionTimeout); // clamped to the minimum
        Assert.Equal(0, pair.A.Statistics.Retransmissions);
    }

    [Fact]
    public void Rto_SilentLink_BacksOffExponentiallyToTheMaximum()
    {
        using var wire = new ManualWire(Patient);

        wire.A.SendAsync(Pattern(10));
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(60).Ticks);

        var times = wire.SentByA.Where(s => IsData(s.Payload)).Select(s => TimeSpan.FromTicks(s.Time).TotalSeconds);
        Assert.Equal(new double[] { 0, 1, 3, 7, 15, 25, 35, 45, 55 }, times);
        Assert.Equal(TimeSpan.FromSeconds(10), wire.A.Statistics.RetransmissionTimeout);
        Assert.Equal(8, wire.A.Statistics.Timeouts);
    }

    [Fact]
    public void Rto_AckAfterRetransmission_TakesNoSample()
    {
        using var wire = new ManualWire(Patient);
        wire.A.SendAsync(Pattern(10));
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.Equal(2, wire.AtoB.Count);

        wire.Pump();
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        wire.Pump();

        Assert.True(wire.A.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
        Assert.Null(wire.A.Statistics.SmoothedRoundTripTime); // Karn: ambiguous, so no sample
        Assert.Equal(TimeSpan.FromSeconds(2), wire.A.Statistics.RetransmissionTimeout);
    }

    [Fact]
    public void Rto_HandshakeRoundTripGiven_FirstLostMessageIsResentAfterThreeOfItsRoundTrips()
    {
        using var wire = new ManualWire(Patient);
        wire.A.AddHandshakeRoundTrip(TimeSpan.FromMilliseconds(80));

        wire.A.SendAsync(Pattern(10));
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        // SRTT 80 ms, RTTVAR 40 ms: the first timer is 80 + 4 x 40 = 240 ms, then it doubles; without the handshake's
        // sample the first resend would wait the initial second.
        var times = wire.SentByA.Where(s => IsData(s.Payload)).Select(s => TimeSpan.FromTicks(s.Time).TotalMilliseconds);
        Assert.Equal(new double[] { 0, 240, 720 }, times);
        Assert.Equal(TimeSpan.FromMilliseconds(80), wire.A.Statistics.SmoothedRoundTripTime);
    }

    [Fact]
    public void Rto_HandshakeRoundTripSlowerThanAThirdOfTheInitialTimeout_IsIgnored()
    {
        // A handshake that took 400 ms (a peer busy compiling its code) would give an RTO of 1.2 s: worse than the initial 1 s.
        using var wire = new ManualWire(Patient);
        wire.A.AddHandshakeRoundTrip(TimeSpan.FromMilliseconds(400));

        wire.A.SendAsync(Pattern(10));
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var times = wire.SentByA.Where(s => IsData(s.Payload)).Select(s => TimeSpan.FromTicks(s.Time).TotalMilliseconds);
        Assert.Equal(new double[] { 0, 1000 }, times);
        Assert.Null(wire.A.Statistics.SmoothedRoundTripTime);
    }

    [Fact]
    public void Rto_HandshakeRoundTripAfterASampleOfItsOwn_IsIgnored()
    {
        using var pair = new SessionPair(Patient, new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(50) });
        pair.A.SendAsync(Pattern(10));
        Assert.True(pair.RunUntil(() => pair.A.WhenAllAcknowledgedAsync().IsCompleted, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1)));
        var measured = pair.A.Statistics;

        pair.A.AddHandshakeRoundTrip(TimeSpan.FromSeconds(3));

        Assert.Equal(measured.SmoothedRoundTripTime, pair.A.Statistics.SmoothedRoundTripTime);
        Assert.Equal(measured.RetransmissionTimeout, pair.A.Statistics.RetransmissionTimeout);
    }

    [Fact]
    public void SendAsync_WindowFull_WaitsUntilAcksOpenIt()
    {
        using var wire = new ManualWire(Patient with { SendWindow = 4 });
        for (var i = 0; i < 4; i++)
            Assert.True(wire.A.SendAsync(Pattern(10, i)).IsCompletedSuccessfully);

        var fifth = wire.A.SendAsync(Pattern(10, 4)).AsTask();
        var sixth = wire.A.SendAsync(Pattern(10, 5)).AsTask();

        Assert.False(fifth.IsCompleted);
        Assert.Equal(4, wire.AtoB.Count);
        wire.DeliverToB(p => SequenceOf(p) == 0);
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks); // B's delayed ack
        Assert.False(fifth.IsCompleted);
        wire.DeliverToA();
        Assert.True(fifth.IsCompletedSuccessfully);
        Assert.False(sixth.IsCompleted);
        Assert.Equal(4u, SequenceOf(wire.AtoB[^1]));

        wire.Run(TimeSpan.FromSeconds(2)); // packets 1..3 were lost: their timers must fire first
        Assert.True(sixth.IsCompletedSuccessfully);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => Pattern(10, i)), wire.ReceivedByB);
    }

    [Fact]
    public void SendAsync_LargeMessageOverSmallWindow_StreamsThrough()
    {
        using var wire = new ManualWire(Patient with { SendWindow = 3 });
        var message = Pattern(64 * 1024);

        var sent = wire.A.SendAsync(message).AsTask();
        Assert.False(sent.IsCompleted);
        wire.Run(TimeSpan.FromSeconds(2));

        Assert.True(sent.IsCompletedSuccessfully);
        Assert.Equal(message, Assert.Single(wire.ReceivedByB));
    }

    [Fact]
    public void SendAsync_CancelledWhileWaitingForWindow_IsWithdrawn()
    {
        using var wire = new ManualWire(Patient with { SendWindow = 1 });
        wire.A.SendAsync(Pattern(10, 1));
        using var cts = new CancellationTokenSource();
        var second = wire.A.SendAsync(Pattern(10, 2), cts.Token).AsTask();
        var waitAll = wire.A.WhenAllAcknowledgedAsync();

        cts.Cancel();
        wire.A.SendAsync(Pattern(10, 3));
        wire.Run(TimeSpan.FromMilliseconds(100));

        Assert.True(second.IsCanceled);
        Assert.Equal(new[] { Pattern(10, 1), Pattern(10, 3) }, wire.ReceivedByB);
        Assert.True(waitAll.IsCompletedSuccessfully);
    }
}
