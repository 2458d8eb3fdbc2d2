using System.Reactive;
using System.Reactive.Linq;
using SecretChat.Transport.Reliability;
using static SecretChat.Transport.Tests.Reliability.ManualWire;
using static SecretChat.Transport.Tests.Reliability.ReliableSessionDeliveryTests;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionCloseTests
{
    [Fact]
    public void CompleteAsync_AfterMessages_PeerCompletesAfterTheLast()
    {
        using var wire = new ManualWire();
        var events = new List<Notification<ReadOnlyMemory<byte>>>();
        wire.B.Messages.Materialize().Subscribe(events.Add);
        for (var i = 0; i < 3; i++)
            wire.A.SendAsync(Pattern(2000, i));

        Assert.True(wire.A.CompleteAsync().IsCompletedSuccessfully);
        var packets = wire.AtoB.ToArray();
        wire.AtoB.Clear();
        Assert.Equal(ReliabilityPacketType.Close, TypeOf(packets[^1]));
        Array.Reverse(packets); // the close marker arrives first
        foreach (var packet in packets)
            wire.B.Receive(packet);
        wire.Run(TimeSpan.FromMilliseconds(50));

        Assert.Equal(4, events.Count);
        Assert.All(events.Take(3), e => Assert.Equal(NotificationKind.OnNext, e.Kind));
        Assert.Equal(NotificationKind.OnCompleted, events[3].Kind);
        Assert.Equal(Enumerable.Range(0, 3).Select(i => Pattern(2000, i)), wire.ReceivedByB);
        Assert.True(wire.A.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public void Close_IsAcknowledgedAtOnce_NotAfterTheAckDelay()
    {
        using var wire = new ManualWire();
        wire.A.CompleteAsync();
        var before = wire.SentByB.Count;

        wire.DeliverToB();

        // No virtual time passed: the ack left within Receive, so a peer that disposes right after its
        // close completes still tells us our close arrived.
        Assert.True(wire.CompletedB);
        Assert.Contains(wire.SentByB.Skip(before), sent => TypeOf(sent.Payload) == ReliabilityPacketType.Ack);
    }

    [Fact]
    public void CompleteAsync_Twice_IsIdempotentAndSendThrows()
    {
        using var wire = new ManualWire();

        wire.A.CompleteAsync();
        wire.A.CompleteAsync();

        Assert.Single(wire.AtoB);
        Assert.Throws<InvalidOperationException>(() => wire.A.SendAsync(Pattern(1)));
    }

    [Fact]
    public void CompleteAsync_BothSides_SessionsGoQuiet()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(Pattern(10));
        wire.A.CompleteAsync();
        wire.B.CompleteAsync();
        wire.Run(TimeSpan.FromSeconds(1));
        Assert.True(wire.CompletedA);
        Assert.True(wire.CompletedB);
        var sent = wire.SentByA.Count + wire.SentByB.Count;

        wire.Run(TimeSpan.FromMinutes(5));

        Assert.Equal(sent, wire.SentByA.Count + wire.SentByB.Count); // no keepalives once both are done
        Assert.Null(wire.ErrorA);
        Assert.Null(wire.ErrorB);
    }

    [Fact]
    public void CompleteAsync_CloseLost_RetransmittedLikeData()
    {
        using var wire = new ManualWire();
        wire.A.SendAsync(Pattern(10));
        wire.A.CompleteAsync();

        wire.DeliverToB(p => TypeOf(p) != ReliabilityPacketType.Close);
        Assert.False(wire.CompletedB);
        wire.Run(TimeSpan.FromSeconds(2));

        Assert.True(wire.CompletedB);
        Assert.True(wire.A.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public void WhenAllAcknowledgedAsync_NothingSent_CompletesAtOnce()
    {
        using var wire = new ManualWire();
        Assert.True(wire.A.WhenAllAcknowledgedAsync().IsCompletedSuccessfully);
    }
}
