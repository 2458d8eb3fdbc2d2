using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;
using static SecretChat.Transport.Tests.Reliability.ReliableSessionDeliveryTests;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionInputTests
{
    [Fact]
    public void Constructor_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new ReliableSession(null!, scheduler, _ => { })).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new ReliableSession(new ReliabilityOptions(), null!, _ => { })).ParamName);
        Assert.Equal("transmit", Assert.Throws<ArgumentNullException>(() => new ReliableSession(new ReliabilityOptions(), scheduler, null!)).ParamName);
    }

    public static TheoryData<ReliabilityOptions, string> InvalidOptions => new()
    {
        { new ReliabilityOptions { MaxPayloadSize = 20 }, "MaxPayloadSize" },
        { new ReliabilityOptions { MaxPayloadSize = 70_000 }, "MaxPayloadSize" },
        { new ReliabilityOptions { MaxMessageSize = -1 }, "MaxMessageSize" },
        { new ReliabilityOptions { SendWindow = 0 }, "SendWindow" },
        { new ReliabilityOptions { SendWindow = 40_000 }, "SendWindow" },
        { new ReliabilityOptions { MinRetransmissionTimeout = TimeSpan.Zero }, "MinRetransmissionTimeout" },
        { new ReliabilityOptions { MaxRetransmissionTimeout = TimeSpan.FromMilliseconds(100) }, "MaxRetransmissionTimeout" },
        { new ReliabilityOptions { AckDelay = TimeSpan.FromMilliseconds(-1) }, "AckDelay" },
        { new ReliabilityOptions { FastRetransmitThreshold = 0 }, "FastRetransmitThreshold" },
        { new ReliabilityOptions { KeepAliveInterval = TimeSpan.Zero }, "KeepAliveInterval" },
        { new ReliabilityOptions { DeadPeerTimeout = TimeSpan.Zero }, "DeadPeerTimeout" },
        { new ReliabilityOptions { MaxRetransmissions = -1 }, "MaxRetransmissions" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOption_ThrowsNamingIt(ReliabilityOptions options, string name)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ReliableSession(options, new TestScheduler(), _ => { }));
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void SendAsync_OverMaxMessageSize_ThrowsArgumentException()
    {
        using var wire = new ManualWire();

        var error = Assert.Throws<ArgumentException>(() => wire.A.SendAsync(new byte[64 * 1024 + 1]));

        Assert.Equal("message", error.ParamName);
        Assert.Empty(wire.AtoB);
        Assert.Equal(0, wire.A.Statistics.MessagesSent);
    }

    [Fact]
    public void SendAsync_AlreadyCancelled_SendsNothing()
    {
        using var wire = new ManualWire();

        var sent = wire.A.SendAsync(new byte[1], new CancellationToken(canceled: true));

        Assert.True(sent.IsCanceled);
        Assert.Empty(wire.AtoB);
    }

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "empty", [] },
        { "unknown version", [0x21, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 42] },
        { "unknown type", [0x17, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 42] },
        { "truncated data", [0x11, 0x03, 0, 0, 0, 0, 0, 0, 0] },
        { "truncated ack", [0x12, 0, 0, 0, 0, 1, 0, 1] },
        { "data acking what was never sent", [0x11, 0x03, 0, 0, 0, 0, 0, 0, 0, 9, 42] },
        { "ack with a zero gap", [0x12, 0, 0, 0, 0, 1, 0, 0, 0, 1] },
        { "data beyond the window", [0x11, 0x03, 0, 0, 1, 0, 0, 0, 0, 0, 42] },
        { "data far behind", [0x11, 0x03, 0x80, 0, 0, 0, 0, 0, 0, 0, 42] },
        { "close acking the future", [0x14, 0, 0, 0, 0, 0, 0, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Receive_MalformedPayload_DroppedAndCountedWithoutEffect(string name, byte[] payload)
    {
        using var wire = new ManualWire();

        wire.B.Receive(payload);
        wire.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var statistics = wire.B.Statistics;
        Assert.True(statistics.MalformedDropped == 1, name);
        Assert.Equal(0, statistics.PacketsReceived);
        Assert.Empty(wire.BtoA);
        Assert.Empty(wire.ReceivedByB);
        Assert.False(wire.CompletedB);
        // And the session still works.
        wire.A.SendAsync(Pattern(10));
        wire.Run(TimeSpan.FromMilliseconds(50));
        Assert.Equal(Pattern(10), Assert.Single(wire.ReceivedByB));
    }

    [Fact]
    public void Receive_DataAfterClose_DroppedAndCounted()
    {
        using var wire = new ManualWire();
        wire.A.CompleteAsync();
        wire.Pump();

        wire.B.Receive([0x11, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 42]); // seq 1, after the close at 0

        Assert.Equal(1, wire.B.Statistics.MalformedDropped);
        Assert.Empty(wire.ReceivedByB);
    }

    [Fact]
    public void Receive_ContinuationWithoutStart_SkippedToNextMessage()
    {
        using var wire = new ManualWire();

        wire.B.Receive([0x11, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // middle fragment
        wire.B.Receive([0x11, 0x02, 0, 0, 0, 1, 0, 0, 0, 0, 2]); // last fragment
        wire.B.Receive([0x11, 0x03, 0, 0, 0, 2, 0, 0, 0, 0, 3]); // a whole message

        Assert.Equal(1, wire.B.Statistics.MalformedDropped);
        Assert.Equal(new byte[] { 3 }, Assert.Single(wire.ReceivedByB));
    }

    [Fact]
    public void Receive_ReassemblyOverMaxMessageSize_Dropped()
    {
        using var wire = new ManualWire(new ReliabilityOptions { MaxMessageSize = 1500 }, new ReliabilityOptions { MaxMessageSize = 1000 });

        wire.A.SendAsync(new byte[1500]);
        wire.A.SendAsync(new byte[1000]);
        wire.Pump();

        Assert.Equal(1, wire.B.Statistics.MalformedDropped);
        Assert.Equal(1000, Assert.Single(wire.ReceivedByB).Length);
    }

    [Fact]
    public void Receive_BoundedGarbageFlood_ChangesNothing()
    {
        using var wire = new ManualWire();
        var random = new Random(1234);
        var messages = Enumerable.Range(0, 50).Select(i => Pattern(random.Next(0, 3000), i)).ToArray();
        const int flood = 20_000;
        var delivered = 0;

        for (var i = 0; i < flood; i++)
        {
            var garbage = new byte[random.Next(0, 48)];
            random.NextBytes(garbage);
            wire.B.Receive(garbage);
            wire.A.Receive(garbage);
            if (i % (flood / messages.Length) == 0)
            {
                wire.A.SendAsync(messages[i / (flood / messages.Length)]);
                delivered += wire.AtoB.Count;
                wire.DeliverToB();
                wire.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
                wire.DeliverToA();
            }
        }

        Assert.Equal(messages, wire.ReceivedByB);
        Assert.Equal(flood, wire.B.Statistics.MalformedDropped);
        Assert.Equal(flood, wire.A.Statistics.MalformedDropped);
        Assert.Equal(delivered, wire.B.Statistics.PacketsReceived);
        Assert.Equal(0, wire.A.Statistics.Retransmissions);
        Assert.Null(wire.ErrorA);
        Assert.Null(wire.ErrorB);
    }
}
