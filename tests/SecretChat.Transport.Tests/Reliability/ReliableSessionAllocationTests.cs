using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;
using static SecretChat.Transport.Tests.Reliability.ReliableSessionDeliveryTests;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>
/// What the session allocates per message in steady state, measured on one thread (every call here is synchronous):
/// a receiver read through <see cref="ReliableSession.LentMessages"/> allocates nothing, in order, in fragments or
/// above a hole; a sender keeps its copy of each message in a pooled buffer.
/// </summary>
[Collection(SecretChat.Tests.PooledAllocationCollection.Name)]
public sealed class ReliableSessionAllocationTests
{
    private const int Rounds = 100;

    [Theory]
    [InlineData(1000)]   // one packet per message
    [InlineData(3000)]   // three fragments, reassembled
    [InlineData(65_000)] // sixty fragments
    public void Receive_SteadyInOrderMessagesReadThroughLentMessages_AllocatesNothing(int size)
    {
        var (sender, packets) = Record(size, messages: 2 * Rounds);
        using var receiver = new ReliableSession(new ReliabilityOptions(), new TestScheduler(), _ => { });
        long bytes = 0, count = 0;
        using var reading = receiver.LentMessages.Subscribe(m =>
        {
            bytes += m.Length;
            count++;
        });
        var half = packets.Count / 2;
        foreach (var packet in packets.Take(half))
            receiver.Receive(packet); // warm-up: pools filled, the ack timer armed

        var allocated = AllocatedBy(() =>
        {
            for (var i = half; i < packets.Count; i++)
                receiver.Receive(packets[i]);
        });

        Assert.Equal(2L * Rounds, count);
        Assert.Equal(2L * Rounds * size, bytes);
        Assert.Equal(0, allocated);
        sender.Dispose();
    }

    [Fact]
    public void Receive_SteadyMessagesWithEveryOtherPairSwapped_AllocatesNothingAndDeliversInOrder()
    {
        var (sender, packets) = Record(1000, messages: 4 * Rounds);
        for (var i = 0; i + 1 < packets.Count; i += 2)
            (packets[i], packets[i + 1]) = (packets[i + 1], packets[i]); // each second packet waits above a hole
        var acks = 0;
        using var receiver = new ReliableSession(new ReliabilityOptions(), new TestScheduler(), _ => acks++);
        var order = new List<byte>(4 * Rounds);
        using var reading = receiver.LentMessages.Subscribe(m => order.Add(m.Span[0]));
        var half = packets.Count / 2;
        foreach (var packet in packets.Take(half))
            receiver.Receive(packet);

        var allocated = AllocatedBy(() =>
        {
            for (var i = half; i < packets.Count; i++)
                receiver.Receive(packets[i]);
        });

        Assert.Equal(Enumerable.Range(0, 4 * Rounds).Select(i => Pattern(1000, i)[0]), order);
        Assert.True(acks >= 2 * Rounds, $"every hole and every filled hole is acknowledged at once ({acks} acks)");
        Assert.Equal(0, allocated);
        sender.Dispose();
    }

    [Fact]
    public void SendAsync_SteadyLargeMessagesAcknowledged_AllocatesFarLessThanACopyOfEach()
    {
        var scheduler = new TestScheduler();
        ReliableSession? sender = null, receiver = null;
        sender = new ReliableSession(new ReliabilityOptions(), scheduler, p => receiver!.Receive(p.Span));
        receiver = new ReliableSession(new ReliabilityOptions(), scheduler, p => sender.Receive(p.Span));
        var delivered = 0;
        using var reading = receiver.LentMessages.Subscribe(_ => delivered++);
        var message = Pattern(65_000);
        void Send(int messages)
        {
            for (var i = 0; i < messages; i++)
            {
                Assert.True(sender.SendAsync(message).IsCompletedSuccessfully);
                scheduler.AdvanceBy(TimeSpan.FromMilliseconds(20).Ticks); // the receiver's delayed ack returns every copy
            }
        }
        Send(10);

        var allocated = AllocatedBy(() => Send(Rounds));

        Assert.Equal(10 + Rounds, delivered);
        // What remains is per packet bookkeeping (about a hundred bytes per 1,100-byte packet) and the timers, not the
        // 65,000 bytes a copy of the message took before.
        Assert.True(allocated / Rounds < message.Length / 4, $"{allocated / Rounds} B per {message.Length}-byte message");
        sender.Dispose();
        receiver.Dispose();
    }

    [Theory]
    [InlineData(true)]  // NewReno's window, as sessions run by default
    [InlineData(false)]
    public void SendAsync_SteadyOneKibMessagesAcknowledged_AllocatesNothing(bool congestionControl) =>
        SteadyMessagesAcknowledged_AllocatesNothing(1000, congestionControl);

    [Fact]
    public void SendAsync_SteadyLargestMessagesAcknowledged_AllocatesNothing() =>
        SteadyMessagesAcknowledged_AllocatesNothing(64 * 1024, congestionControl: true); // sixty packets each, one window

    private static void SteadyMessagesAcknowledged_AllocatesNothing(int size, bool congestionControl)
    {
        var options = new ReliabilityOptions { CongestionControl = congestionControl };
        var scheduler = new TestScheduler();
        var senderAlarm = new SteppedAlarm();
        var receiverAlarm = new SteppedAlarm();
        ReliableSession? sender = null, receiver = null;
        // Both ends on this thread: each transmit is the peer's Receive, each acknowledgement flush is run by the loop below.
        sender = new ReliableSession(options, scheduler, p => receiver!.Receive(p.Span), senderAlarm.Attach);
        receiver = new ReliableSession(options, scheduler, p => sender.Receive(p.Span), receiverAlarm.Attach);
        long delivered = 0;
        using var reading = receiver.LentMessages.Subscribe(m => delivered += m.Length);
        var message = Pattern(size);
        void Send(int messages)
        {
            for (var i = 0; i < messages; i++)
            {
                Assert.True(sender.SendAsync(message).IsCompletedSuccessfully); // numbered into the window at once
                scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
                receiverAlarm.Step(scheduler.Now); // the receiver's acknowledgement, on its next turn
                senderAlarm.Step(scheduler.Now);
            }
        }
        Send(10 * Rounds); // warm-up: pools filled, RTT measured, the window grown

        var allocated = AllocatedBy(() => Send(10 * Rounds));

        Assert.Equal(20L * Rounds * message.Length, delivered);
        Assert.Equal(0, allocated);
        Assert.Equal(0, sender.Statistics.Retransmissions);
        Assert.True(receiverAlarm.Posts >= 20 * Rounds, $"every message was acknowledged ({receiverAlarm.Posts} flushes)");
        sender.Dispose();
        receiver.Dispose();
    }

    [Fact]
    public void SessionAlarm_WallClockRearmedEarlierAndLater_AllocatesNothing()
    {
        var fired = 0;
        using var alarm = SessionAlarm.For(System.Reactive.Concurrency.DefaultScheduler.Instance, () => Interlocked.Increment(ref fired), () => { });
        var now = DateTimeOffset.UtcNow;
        alarm.Arm(now + TimeSpan.FromHours(1)); // warm-up: the timer joins its queue

        var allocated = AllocatedBy(() =>
        {
            for (var i = 0; i < 10 * Rounds; i++)
                alarm.Arm(now + TimeSpan.FromMinutes(i % 2 == 0 ? 30 : 60)); // a retransmission deadline, then a keepalive's
        });

        Assert.Equal(0, allocated);
        Assert.Equal(0, Volatile.Read(ref fired));
    }

    [Fact]
    public async Task SessionAlarm_WallClockArmedNow_FiresOnceAndPostRunsThePostAction()
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var alarm = SessionAlarm.For(System.Reactive.Concurrency.DefaultScheduler.Instance, () => fired.TrySetResult(), () => posted.TrySetResult());

        alarm.Arm(DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1)); // overdue: at once
        alarm.Post();

        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await posted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>An alarm the test steps by hand: it records the armed deadline and a posted flush, allocating nothing.</summary>
    private sealed class SteppedAlarm : SessionAlarm
    {
        private Action? _fire, _post;
        private DateTimeOffset? _due;
        private bool _posted;

        public int Posts { get; private set; }

        public SessionAlarm Attach(Action fire, Action post)
        {
            (_fire, _post) = (fire, post);
            return this;
        }

        public override void Arm(DateTimeOffset due) => _due = due;

        public override void Post() => _posted = true;

        public override void Dispose() => _due = null;

        /// <summary>Runs the posted flush, then the timer if it is due.</summary>
        public void Step(DateTimeOffset now)
        {
            if (_posted)
            {
                _posted = false;
                Posts++;
                _post!();
            }
            if (_due <= now)
            {
                _due = null;
                _fire!();
            }
        }
    }

    /// <summary>The payloads a sender puts on the wire for <paramref name="messages"/> messages (message i is Pattern(size, i)).</summary>
    private static (ReliableSession Sender, List<byte[]> Packets) Record(int size, int messages)
    {
        var packets = new List<byte[]>();
        // A recording of the wire, never acknowledged: no congestion window, or it would hold all but its first ten packets back.
        var sender = new ReliableSession(new ReliabilityOptions { SendWindow = 32_768, CongestionControl = false }, new TestScheduler(), p => packets.Add(p.ToArray()));
        for (var i = 0; i < messages; i++)
            Assert.True(sender.SendAsync(Pattern(size, i)).IsCompletedSuccessfully);
        return (sender, packets);
    }

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
