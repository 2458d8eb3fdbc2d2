using SecretChat.Tests;
using System.Diagnostics;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;
using Xunit.Abstractions;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>Whole conversations over a bad simulated link, in virtual time, seeded and deterministic.</summary>
[Collection(SoakCollection.Name)]
public class LossyLinkTests(ITestOutputHelper output)
{
    private static readonly SimulatedLinkOptions BadLink = new()
    {
        Seed = 2024,
        Delay = TimeSpan.FromMilliseconds(20),
        Jitter = TimeSpan.FromMilliseconds(5),
        LossRate = 0.20,
        DuplicationRate = 0.05,
        ReorderRate = 0.10,
        ReorderDelay = TimeSpan.FromMilliseconds(40),
    };



    [Fact]
    public void Conversation_TenThousandMixedMessagesOverTwentyPercentLoss_ArriveInOrderExactlyOnce()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var pair = new SessionPair(new ReliabilityOptions(), BadLink);
        var toB = TestMessages.Mixed(10_000, seed: 1);
        var toA = TestMessages.Mixed(1_000, seed: 2);
        var feedA = new MessageFeeder(m => pair.A.SendAsync(m), toB);
        var feedB = new MessageFeeder(m => pair.B.SendAsync(m), toA);

        var delivered = pair.RunUntil(() =>
        {
            feedA.Pump();
            feedB.Pump();
            return pair.ReceivedByB.Count == toB.Count && pair.ReceivedByA.Count == toA.Count;
        }, TimeSpan.FromHours(2));
        // Checked one by one: a continuation such as Task.WhenAll would run on the thread pool, outside virtual time.
        var ackedA = pair.A.WhenAllAcknowledgedAsync();
        var ackedB = pair.B.WhenAllAcknowledgedAsync();
        pair.A.CompleteAsync();
        pair.B.CompleteAsync();
        var closeAckedA = pair.A.WhenAllAcknowledgedAsync();
        var closeAckedB = pair.B.WhenAllAcknowledgedAsync();
        var closed = pair.RunUntil(() => pair.CompletedA && pair.CompletedB && closeAckedA.IsCompleted && closeAckedB.IsCompleted, TimeSpan.FromMinutes(5));

        Assert.Null(pair.ErrorA);
        Assert.Null(pair.ErrorB);
        Assert.True(delivered, $"B has {pair.ReceivedByB.Count}/{toB.Count}, A has {pair.ReceivedByA.Count}/{toA.Count}.");
        Assert.True(closed, $"completed A {pair.CompletedA}, B {pair.CompletedB}; acked A {ackedA.Status}, B {ackedB.Status}.");
        Assert.True(ackedA.IsCompletedSuccessfully && ackedB.IsCompletedSuccessfully);
        Assert.True(closeAckedA.IsCompletedSuccessfully && closeAckedB.IsCompletedSuccessfully); // the close markers too
        TestMessages.AssertSameSequence(toB, pair.ReceivedByB);
        TestMessages.AssertSameSequence(toA, pair.ReceivedByA);

        var link = pair.Link.Statistics;
        var a = pair.A.Statistics;
        var b = pair.B.Statistics;
        Assert.True(link.Lost > 0 && link.Duplicated > 0 && link.Reordered > 0);
        Assert.True(a.Retransmissions > 0 && a.FastRetransmissions > 0);
        Assert.True(b.DuplicatesReceived > 0);
        Assert.Equal(0, a.MalformedDropped + b.MalformedDropped);
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        output.WriteLine($"virtual time {TimeSpan.FromTicks(pair.Scheduler.Clock)}, CPU {used.TotalSeconds:0.00} s");
        output.WriteLine($"link {link}");
        output.WriteLine($"A {a}");
        output.WriteLine($"B {b}");
    }

    [Fact]
    public void Conversation_LargestMessagesOverTwentyPercentLoss_Arrive()
    {
        using var pair = new SessionPair(new ReliabilityOptions(), BadLink with { Seed = 7 });
        var random = new Random(3);
        var messages = Enumerable.Range(0, 8).Select(_ =>
        {
            var message = new byte[64 * 1024];
            random.NextBytes(message);
            return message;
        }).ToList();
        var feed = new MessageFeeder(m => pair.A.SendAsync(m), messages);

        Assert.True(pair.RunUntil(() =>
        {
            feed.Pump();
            return pair.ReceivedByB.Count == messages.Count && pair.A.WhenAllAcknowledgedAsync().IsCompleted;
        }, TimeSpan.FromMinutes(10)));

        TestMessages.AssertSameSequence(messages, pair.ReceivedByB);
        Assert.Null(pair.ErrorA);
        Assert.True(pair.A.Statistics.Retransmissions > 0);
    }

    [Fact]
    public void Conversation_SameSeed_SameOutcome()
    {
        static (ReliabilityStatistics, long) Run()
        {
            using var pair = new SessionPair(new ReliabilityOptions(), BadLink);
            var feed = new MessageFeeder(m => pair.A.SendAsync(m), TestMessages.Mixed(300, seed: 5));
            pair.RunUntil(() =>
            {
                feed.Pump();
                return pair.ReceivedByB.Count == 300;
            }, TimeSpan.FromHours(1));
            return (pair.A.Statistics, pair.Scheduler.Clock);
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Conversation_BandwidthCappedLink_DeliversEverything()
    {
        // 1 Mbit/s: queueing delay dominates the RTT (there is no congestion control, so some timeouts are spurious).
        using var pair = new SessionPair(new ReliabilityOptions { SendWindow = 32 },
            new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(20), BytesPerSecond = 125_000 });
        var messages = TestMessages.Mixed(300, seed: 9);
        var feed = new MessageFeeder(m => pair.A.SendAsync(m), messages);

        Assert.True(pair.RunUntil(() =>
        {
            feed.Pump();
            return pair.ReceivedByB.Count == messages.Count;
        }, TimeSpan.FromMinutes(10)));

        TestMessages.AssertSameSequence(messages, pair.ReceivedByB);
        output.WriteLine($"A {pair.A.Statistics}");
    }
}
