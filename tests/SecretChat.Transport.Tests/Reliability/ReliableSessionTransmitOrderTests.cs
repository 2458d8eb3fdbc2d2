using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;
using static SecretChat.Transport.Tests.Reliability.ManualWire;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliableSessionTransmitOrderTests
{
    [Fact]
    public void Transmit_AnAckArrivingDuringATransmission_ItsPacketsLeaveAfterTheOnesAlreadyQueued()
    {
        // The session numbers packets under its lock and transmits them outside it. Another thread (here: the transmit
        // callback itself, as deterministic stand-in) can number more meanwhile, when an ACK opens the window; those must
        // not overtake the ones still being transmitted, or the peer sees a gap and the sender a loss that never was.
        var scheduler = new TestScheduler();
        var sequences = new List<uint>();
        ReliableSession? session = null;
        session = new ReliableSession(new ReliabilityOptions(), scheduler, payload =>
        {
            var bytes = payload.ToArray();
            if (!IsData(bytes))
                return;
            sequences.Add(SequenceOf(bytes));
            if (sequences.Count == 1)
                session!.Receive(AckUpTo(1)); // the first packet acknowledged while the rest of its burst waits to be sent
        });
        using var _ = session;

        session.SendAsync(ReliableSessionDeliveryTests.Pattern(30 * 1090)); // more than the initial window

        Assert.True(sequences.Count > 11, $"the ACK opened the window: {sequences.Count} packets sent");
        Assert.Equal(Enumerable.Range(0, sequences.Count).Select(i => (uint)i), sequences);
    }

    private static byte[] AckUpTo(long next)
    {
        var ack = new byte[ReliabilityPacket.AckHeaderSize];
        ReliabilityPacket.WriteAckHeader(ack, next, rangeCount: 0);
        return ack;
    }
}
