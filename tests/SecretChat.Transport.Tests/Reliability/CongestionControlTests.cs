using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;
using Xunit.Abstractions;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>
/// The congestion window over simulated links in virtual time: a fast link is filled, a lossy or congested one is not
/// flooded, a dead one is probed rather than hammered. Each scenario runs with the window and, where the point is the
/// difference, without it (<see cref="ReliabilityOptions.CongestionControl"/> off: the fixed 256-packet window alone).
/// </summary>
public class CongestionControlTests(ITestOutputHelper output)
{
    private const int MessageSize = 10_000;
    private static readonly ReliabilityOptions WithWindow = new();
    private static readonly ReliabilityOptions WithoutWindow = new() { CongestionControl = false };

    [Fact]
    public void Transfer_FastLink_FillsIt()
    {
        // 10 MB/s and 10 ms each way: 200 KB in flight fill it, about 180 full packets, within the 256-packet window.
        var link = new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), BytesPerSecond = 10_000_000 };

        var run = Transfer(WithWindow, link, messages: 1_000);

        Assert.True(run.Delivered);
        Assert.Equal(0, run.Sender.Retransmissions);
        // 10 MB at the link's 10 MB/s (less the 10-byte header per 1,100): slow start costs a few round trips.
        Assert.True(run.BytesPerSecond >= 0.85 * 10_000_000, $"{run.BytesPerSecond:N0} B/s");
        Assert.True(run.Sender.CongestionWindow >= 200_000, $"window {run.Sender.CongestionWindow}");
    }

    [Fact]
    public void Transfer_ShallowBottleneck_WindowKeepsDropsFewWhereAFixedWindowFloods()
    {
        // 2 MB/s and 20 ms each way (80 KB in flight fill it) in front of a 32 KB drop-tail queue: the fixed window of
        // 256 packets (280 KB) overflows the queue every round trip.
        var link = new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(20), BytesPerSecond = 2_000_000, QueueLimit = 32_000 };

        var with = Transfer(WithWindow, link, messages: 300);
        var without = Transfer(WithoutWindow, link, messages: 300);

        Assert.True(with.Delivered && without.Delivered);
        Assert.True(with.Link.DroppedByQueue * 5 <= without.Link.DroppedByQueue,
            $"queue drops {with.Link.DroppedByQueue} with the window, {without.Link.DroppedByQueue} without");
        Assert.True(with.Sender.Retransmissions * 5 <= without.Sender.Retransmissions,
            $"retransmissions {with.Sender.Retransmissions} with the window, {without.Sender.Retransmissions} without");
        // Losses halve the window, yet the link stays mostly busy.
        Assert.True(with.BytesPerSecond >= 0.7 * 2_000_000, $"{with.BytesPerSecond:N0} B/s");
        Assert.True(with.Sender.CongestionEvents > 0);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.10)]
    public void Transfer_RandomLoss_RetransmitsAboutWhatWasLost(double lossRate)
    {
        var link = new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), BytesPerSecond = 10_000_000, LossRate = lossRate, Seed = 5 };

        var run = Transfer(WithWindow, link, messages: 300);

        Assert.True(run.Delivered);
        // Each data packet is lost with the link's rate, and so is each retransmission: p / (1 - p) retransmissions per
        // packet repair everything. Spurious ones (a lost ACK, a timeout before the ACK came) may add to that, not
        // multiply it.
        var packets = run.DataPackets;
        var needed = lossRate / (1 - lossRate) * packets;
        Assert.InRange(run.Sender.Retransmissions, needed * 0.5, needed * 1.5 + 10);
        Assert.True(run.Sender.CongestionEvents > 0);
    }

    [Fact]
    public void DeadLink_AfterABulkTransfer_ProbesInsteadOfResendingTheWholeFlight()
    {
        var link = new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), BytesPerSecond = 10_000_000 };

        var with = CutMidTransfer(WithWindow, link);
        var without = CutMidTransfer(WithoutWindow, link);

        // Without a window every packet in flight is resent on every timeout; with it, half the window once and then
        // two packets (the minimum window) per timeout.
        Assert.True(with.Flight >= 100 && without.Flight >= 100, $"in flight at the cut: {with.Flight}, {without.Flight}");
        Assert.True(with.Resent * 10 <= without.Resent, $"resent after the cut: {with.Resent} with the window, {without.Resent} without");
        Assert.True(with.Resent <= with.Flight / 2 + 2 * with.Timeouts + 2, $"{with.Resent} resent over {with.Timeouts} timeouts, flight {with.Flight}");
    }

    private TransferRun Transfer(ReliabilityOptions options, SimulatedLinkOptions link, int messages)
    {
        using var pair = new SessionPair(options, link);
        var random = new Random(11);
        var sent = new List<byte[]>(messages);
        var start = pair.Scheduler.Clock;
        for (var i = 0; i < messages; i++)
        {
            var message = new byte[MessageSize];
            random.NextBytes(message);
            sent.Add(message);
            _ = pair.A.SendAsync(message); // queued at once: the sender always has more to send
        }
        var delivered = pair.RunUntil(() => pair.ReceivedByB.Count == messages, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(1));
        var elapsed = TimeSpan.FromTicks(pair.Scheduler.Clock - start);
        Assert.Null(pair.ErrorA);
        Assert.Null(pair.ErrorB);
        TestMessages.AssertSameSequence(sent, pair.ReceivedByB);
        var run = new TransferRun(delivered, pair.A.Statistics, pair.Link.Statistics, elapsed, messages * (long)MessageSize,
            messages * ((MessageSize + 1089) / 1090));
        output.WriteLine($"{(options.CongestionControl ? "window" : "fixed")}: {run.BytesPerSecond:N0} B/s over {elapsed.TotalSeconds:0.000} s; " +
            $"link {run.Link}; sender {run.Sender}");
        return run;
    }

    private (long Flight, long Resent, long Timeouts) CutMidTransfer(ReliabilityOptions options, SimulatedLinkOptions link)
    {
        using var pair = new SessionPair(options, link);
        var message = new byte[MessageSize];
        for (var i = 0; i < 400; i++)
            _ = pair.A.SendAsync(message);
        // Half way, the window has grown; then the path dies in both directions.
        pair.RunUntil(() => pair.ReceivedByB.Count >= 200, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(1));
        var before = pair.A.Statistics;
        var flight = before.PacketsSent - before.AcksSent - before.KeepAlivesSent - before.Retransmissions
            - (long)pair.ReceivedByB.Count * ((MessageSize + 1089) / 1090);
        pair.Link.Cut();
        pair.Scheduler.AdvanceBy(TimeSpan.FromSeconds(8).Ticks);
        var after = pair.A.Statistics;
        var result = (Flight: flight, Resent: after.Retransmissions - before.Retransmissions, Timeouts: after.Timeouts - before.Timeouts);
        output.WriteLine($"{(options.CongestionControl ? "window" : "fixed")}: {result}; sender {after}");
        return result;
    }

    private sealed record TransferRun(bool Delivered, ReliabilityStatistics Sender, SimulatedLinkStatistics Link, TimeSpan Elapsed, long Bytes, long DataPackets)
    {
        public double BytesPerSecond => Bytes / Elapsed.TotalSeconds;
    }
}

/// <summary>The congestion window packet by packet, on a wire the test delivers by hand.</summary>
public class CongestionWindowWireTests
{
    [Fact]
    public void SendAsync_LargestMessageOnAnIdleSession_CompletesAtOnceButTenPacketsLeave()
    {
        using var wire = new ManualWire();
        var message = ReliableSessionDeliveryTests.Pattern(65536);

        var sent = wire.A.SendAsync(message);

        Assert.True(sent.IsCompletedSuccessfully); // numbered into the 256-packet window: the caller is not held
        Assert.Equal(10, wire.AtoB.Count);          // the initial congestion window: 10 x 1,100 bytes
        wire.DeliverToB();
        wire.Scheduler.AdvanceBy(1);                // B acknowledges the burst
        wire.DeliverToA();
        Assert.Equal(20, wire.AtoB.Count);          // slow start: the window doubled
        wire.Run(TimeSpan.FromMilliseconds(10));
        Assert.Equal(message, Assert.Single(wire.ReceivedByB));
        Assert.Equal(0, wire.A.Statistics.Retransmissions);
    }

    [Fact]
    public void Receive_AckOfANumberedPacketNotYetSent_DroppedAsMalformed()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(ReliableSessionDeliveryTests.Pattern(65536)); // 61 numbered, 10 sent

        wire.A.Receive(new byte[] { 0x12, 0, 0, 0, 11, 0 }); // "everything below 11 arrived"

        Assert.Equal(1, wire.A.Statistics.MalformedDropped);
        Assert.Equal(10, wire.AtoB.Count); // nothing more left on the strength of it
    }

    [Fact]
    public void Timeout_WholeFlightLost_ResendsTheFirstPacketAndTheWindowFallsToTwoPackets()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(ReliableSessionDeliveryTests.Pattern(65536));
        Assert.Equal(10, wire.AtoB.Count);
        wire.AtoB.Clear(); // all ten lost

        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks); // the initial RTO

        Assert.Equal(new uint[] { 0, 1 }, wire.AtoB.Select(ManualWire.SequenceOf)); // two packets, lowest first
        var statistics = wire.A.Statistics;
        Assert.Equal(2 * 1100, statistics.CongestionWindow);
        Assert.Equal(1, statistics.Timeouts);
        Assert.Equal(2, statistics.Retransmissions);
        wire.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(ReliableSessionDeliveryTests.Pattern(65536), Assert.Single(wire.ReceivedByB));
    }
}
