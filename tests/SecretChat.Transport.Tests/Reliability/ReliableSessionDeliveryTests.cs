using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;
using static SecretChat.Transport.Tests.Reliability.ManualWire;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionDeliveryTests
{
    internal static byte[] Pattern(int size, int salt = 0)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
            bytes[i] = (byte)(i * 31 + salt * 7 + (i >> 8));
        return bytes;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1090, 1)]   // fills one payload of exactly MaxPayloadSize
    [InlineData(1091, 2)]   // one byte more
    [InlineData(1100, 2)]   // a message of exactly MaxPayloadSize
    [InlineData(1101, 2)]
    [InlineData(2180, 2)]
    [InlineData(65536, 61)] // the largest message
    public void SendAsync_MessageSize_FragmentsToPayloadsAndReassembles(int size, int packets)
    {
        using var wire = new ManualWire();
        var message = Pattern(size);

        var sent = wire.A.SendAsync(message).AsTask();
        wire.Run(TimeSpan.FromMilliseconds(50)); // the largest message is more than the initial congestion window

        Assert.True(sent.IsCompletedSuccessfully);
        var data = wire.SentByA.Select(s => s.Payload).Where(IsData).ToList();
        Assert.Equal(packets, data.Count);
        Assert.All(data, p => Assert.True(p.Length <= wire.Options.MaxPayloadSize));
        Assert.Equal(Enumerable.Range(0, packets).Select(i => (uint)i), data.Select(SequenceOf));
        if (size % 1090 == 0 && size > 0)
            Assert.Equal(1100, data[^1].Length);
        Assert.Equal(message, Assert.Single(wire.ReceivedByB));
        Assert.Null(wire.ErrorB);
    }

    [Fact]
    public void SendAsync_SmallPayloadSize_FragmentsByItsLimit()
    {
        using var wire = new ManualWire(new ReliabilityOptions { MaxPayloadSize = 100, MaxMessageSize = 1000 });
        var message = Pattern(1000);

        wire.A.SendAsync(message);
        wire.Run(TimeSpan.FromMilliseconds(50)); // ten packets fit the initial congestion window

        var data = wire.SentByA.Select(s => s.Payload).Where(IsData).ToList();
        Assert.Equal(12, data.Count); // 11 x 90 + 10
        Assert.All(data, p => Assert.True(p.Length <= 100));
        Assert.Equal(message, Assert.Single(wire.ReceivedByB));
    }

    [Fact]
    public void Receive_EveryPacketTwice_DeliversEachMessageOnce()
    {
        using var wire = new ManualWire();
        var messages = new[] { Pattern(10, 1), Pattern(5000, 2), Pattern(0), Pattern(1090, 3) };
        foreach (var message in messages)
            wire.A.SendAsync(message);
        var packets = wire.AtoB.ToArray();

        wire.DeliverToB();
        foreach (var packet in packets)
            wire.B.Receive(packet);
        wire.Pump();

        Assert.Equal(messages, wire.ReceivedByB);
        Assert.Equal(packets.Length, wire.B.Statistics.DuplicatesReceived);
    }

    [Fact]
    public void Receive_PacketsReversed_DeliversInOrder()
    {
        using var wire = new ManualWire();
        var messages = Enumerable.Range(0, 6).Select(i => Pattern(i * 700, i)).ToArray();
        foreach (var message in messages)
            wire.A.SendAsync(message);
        var packets = wire.AtoB.ToArray();
        wire.AtoB.Clear();

        Array.Reverse(packets);
        foreach (var packet in packets[..^1])
            wire.B.Receive(packet);
        Assert.Empty(wire.ReceivedByB); // all buffered behind the first packet
        wire.B.Receive(packets[^1]);

        Assert.Equal(messages, wire.ReceivedByB);
        Assert.Equal(0, wire.B.Statistics.DuplicatesReceived);
    }

    [Fact]
    public void Receive_OutOfOrder_AcksAtOnceWithSelectiveRanges()
    {
        using var wire = new ManualWire();
        for (var i = 0; i < 5; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB(p => SequenceOf(p) is 1 or 3 or 4);

        // One immediate ACK per out-of-order arrival; the last says: want 0, have 1 and 3..4.
        Assert.Equal(3, wire.BtoA.Count);
        Assert.Equal(new byte[] { 0x12, 0, 0, 0, 0, 2, 0, 1, 0, 1, 0, 1, 0, 2 }, wire.BtoA[^1]);
    }

    [Fact]
    public void Receive_InOrderBurst_OneAckOnTheSchedulersNextTurn()
    {
        using var wire = new ManualWire();
        for (var i = 0; i < 5; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB();
        Assert.Empty(wire.BtoA); // not one ACK per packet: the burst is processed first
        wire.Scheduler.AdvanceBy(1);

        var ack = Assert.Single(wire.BtoA);
        Assert.Equal(new byte[] { 0x12, 0, 0, 0, 5, 0 }, ack);
        Assert.Equal(1, wire.B.Statistics.AcksSent);
    }

    [Fact]
    public void Receive_LonePacketOnIdleSession_DeliveredInlineAndOnlyThenTheAckIsQueued()
    {
        // The delivery path on an idle session has no hop: the message reaches OnNext inside Receive, on the thread
        // that received it. The ACK's turn is queued after that, so its pool thread does not compete with the delivery.
        var scheduler = new TestScheduler();
        var counting = new CountingScheduler(scheduler);
        var toB = new List<byte[]>();
        var sentByB = new List<byte[]>();
        using var a = new ReliableSession(new ReliabilityOptions(), scheduler, p => toB.Add(p.ToArray()));
        using var b = new ReliableSession(new ReliabilityOptions(), counting, p => sentByB.Add(p.ToArray()));
        var queuedAtDelivery = new List<int>();
        using var subscription = b.Messages.Subscribe(_ => queuedAtDelivery.Add(counting.Scheduled));
        a.SendAsync(Pattern(64, 1));
        var before = counting.Scheduled;

        b.Receive(Assert.Single(toB));

        Assert.Equal([before], queuedAtDelivery); // delivered within Receive, before anything was queued
        Assert.Equal(before + 1, counting.Scheduled); // then one item: the ACK's turn
        Assert.Empty(sentByB);
        scheduler.AdvanceBy(1);
        Assert.Equal(new byte[] { 0x12, 0, 0, 0, 1, 0 }, Assert.Single(sentByB));
    }

    /// <summary>Counts the work a session hands its scheduler.</summary>
    private sealed class CountingScheduler(IScheduler inner) : IScheduler
    {
        public int Scheduled { get; private set; }

        public DateTimeOffset Now => inner.Now;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
        {
            Scheduled++;
            return inner.Schedule(state, (_, s) => action(this, s));
        }

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            Scheduled++;
            return inner.Schedule(state, dueTime, (_, s) => action(this, s));
        }

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            Scheduled++;
            return inner.Schedule(state, dueTime, (_, s) => action(this, s));
        }
    }

    [Fact]
    public void Receive_LonePacketOnIdleLink_AcknowledgedAtOnce()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(Pattern(10, 1));
        var acked = wire.A.WhenAllAcknowledgedAsync();

        wire.DeliverToB();
        wire.Scheduler.AdvanceBy(1);
        wire.DeliverToA();

        Assert.Equal(new byte[] { 0x12, 0, 0, 0, 1, 0 }, Assert.Single(wire.SentByB).Payload);
        Assert.True(acked.IsCompletedSuccessfully); // one tick of virtual time after it arrived, not an ack delay later
    }

    [Fact]
    public void Receive_PingPongProbes_EachAcknowledgedAtOnce()
    {
        // A sender that waits for each ack before the next message (the latency benchmark's probe) never waits for a
        // delayed ack, however close together its messages come.
        using var wire = new ManualWire();
        for (var i = 0; i < 20; i++)
        {
            wire.A.SendAsync(Pattern(64, i));
            var acked = wire.A.WhenAllAcknowledgedAsync();
            wire.DeliverToB();
            wire.Scheduler.AdvanceBy(1);
            wire.DeliverToA();
            Assert.True(acked.IsCompletedSuccessfully, $"probe {i}");
        }
        Assert.Equal(20, wire.B.Statistics.AcksSent);
        Assert.Equal(20, wire.ReceivedByB.Count);
    }

    [Fact]
    public void Receive_AckPendingWhenOwnDataLeaves_AckRidesOnTheDataAlone()
    {
        using var wire = new ManualWire();
        wire.B.Messages.Subscribe(m => wire.B.SendAsync(m)); // B answers from OnNext, before its ack is due
        wire.A.SendAsync(Pattern(10, 1));

        wire.DeliverToB();
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(50).Ticks);

        Assert.True(IsData(Assert.Single(wire.BtoA)));
        Assert.Equal(0, wire.B.Statistics.AcksSent);
    }

    [Fact]
    public void Receive_InOrderWithAckDelay_AckIsDelayedAndCoalesced()
    {
        using var wire = new ManualWire(new ReliabilityOptions { AckDelay = TimeSpan.FromMilliseconds(10) });
        for (var i = 0; i < 5; i++)
            wire.A.SendAsync(Pattern(10, i));

        wire.DeliverToB();
        Assert.Empty(wire.BtoA);
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks - 1);
        Assert.Empty(wire.BtoA);
        wire.Scheduler.AdvanceBy(1);

        var ack = Assert.Single(wire.BtoA);
        Assert.Equal(new byte[] { 0x12, 0, 0, 0, 5, 0 }, ack);
    }

    [Fact]
    public void SendAsync_BothDirections_AcksRideOnData()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(Pattern(10, 1));
        wire.DeliverToB();

        wire.B.SendAsync(Pattern(10, 2)); // before the delayed ack fires
        wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(50).Ticks);

        var reply = Assert.Single(wire.BtoA);
        Assert.True(IsData(reply));
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, reply[6..10]); // B's data acknowledges A's packet 0
        wire.DeliverToA();
        Assert.True(wire.A.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public void Messages_ObserverSendsFromOnNextOverSynchronousLoopback_NoDeadlockAndInOrder()
    {
        var scheduler = new TestScheduler();
        ReliableSession? a = null, b = null;
        a = new ReliableSession(new ReliabilityOptions(), scheduler, p => b!.Receive(p.Span));
        b = new ReliableSession(new ReliabilityOptions(), scheduler, p => a.Receive(p.Span));
        var echoes = new List<byte[]>();
        b.Messages.Subscribe(m => b.SendAsync(m)); // echo from inside OnNext, re-entering the sessions
        a.Messages.Subscribe(m => echoes.Add(m.ToArray()));
        var messages = Enumerable.Range(0, 20).Select(i => Pattern(i * 300, i)).ToArray();

        foreach (var message in messages)
            Assert.True(a.SendAsync(message).IsCompletedSuccessfully);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        Assert.Equal(messages, echoes);
        Assert.True(a.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
        Assert.True(b.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public void Messages_DeliveredArray_IsOwnedByTheObserver()
    {
        using var wire = new ManualWire();
        var kept = new List<ReadOnlyMemory<byte>>();
        wire.B.Messages.Subscribe(m => kept.Add(m));
        wire.A.SendAsync(Pattern(3000, 1));
        wire.A.SendAsync(Pattern(20, 2));
        var packets = wire.AtoB.ToArray();

        wire.Pump();
        foreach (var packet in packets)
            Array.Clear(packet); // the transport may reuse its buffers

        Assert.Equal(Pattern(3000, 1), kept[0].ToArray());
        Assert.Equal(Pattern(20, 2), kept[1].ToArray());
    }

    [Fact]
    public void Constructor_DefaultScheduler_Works()
    {
        using var session = new ReliableSession(new ReliabilityOptions(), DefaultScheduler.Instance, _ => { });
        Assert.True(session.SendAsync(new byte[10]).IsCompletedSuccessfully);
        Assert.Equal(1, session.Statistics.PacketsSent);
    }
}
