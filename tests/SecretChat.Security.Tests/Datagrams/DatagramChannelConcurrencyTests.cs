using System.Net;
using SecretChat.Framing.Packets;
using SecretChat.Security.Datagrams;
using SecretChat.Transport.Reliability;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>What must hold when several threads use a channel, and what strangers must not be able to do to it.</summary>
public sealed class DatagramChannelConcurrencyTests
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    [Fact]
    public async Task SendAsync_FromSeveralThreadsAtOnce_UsesEveryCounterOnce()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var before = pair.Network.Log.Count;
        const int Threads = 4, PerThread = 500;

        using var start = new Barrier(Threads);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
                Assert.True(pair.Initiator.SendAsync(System.Text.Encoding.UTF8.GetBytes($"{t}:{i}")).IsCompletedSuccessfully);
        })));
        pair.Run(TimeSpan.FromSeconds(1));

        var counters = pair.Network.Log.Skip(before).Where(w => w.IsData && w.From.Equals(ChannelPair.A))
            .Select(w => PacketCodec.TryDecode(w.Bytes, out var header, out _, out _) ? header.Counter : ulong.MaxValue).ToList();
        Assert.Equal(Threads * PerThread, counters.Count);
        Assert.Equal(counters.Count, counters.Distinct().Count());
        Assert.Equal(Threads * PerThread, pair.ResponderPayloads.Texts.Count);
        Assert.Equal(0, pair.Responder.Statistics.TotalDropped);
    }

    [Fact]
    public async Task DeadPeerTimer_StrangersKeepSendingForgedPackets_StillDeclaresThePeerGone()
    {
        var pair = new ChannelPair();
        pair.Establish();
        pair.ResponderSubscription.Dispose(); // the reliable session takes the payloads
        var options = new ReliabilityOptions { KeepAliveInterval = TimeSpan.FromSeconds(15), DeadPeerTimeout = TimeSpan.FromSeconds(30) };
        await using var bob = new ReliableDatagramChannel(pair.Responder, options, pair.Scheduler);
        Exception? ended = null;
        using var _ = bob.Messages.Subscribe(_ => { }, e => ended = e);
        var forged = pair.SendFromInitiator("genuine once").Bytes;
        pair.Network.Drop = w => w.From.Equals(ChannelPair.A); // the peer is gone
        var started = pair.Scheduler.Clock;

        // A stranger (and a forger using the peer's address and session id) talks to bob every 100 ms.
        for (var k = 1; k <= 400; k++)
        {
            var at = started + k * 100 * Ms;
            var copy = forged.ToArray();
            // A fresh counter (so the replay window lets it through to the tag check) under the peer's session id.
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(copy.AsSpan(5, 8), 1000UL + (ulong)k);
            pair.Scheduler.ScheduleAbsolute(0, at, (_, _) =>
            {
                pair.Network.Deliver(ChannelPair.Stranger, ChannelPair.B, copy);
                pair.Network.Deliver(ChannelPair.A, ChannelPair.B, copy);
                return System.Reactive.Disposables.Disposable.Empty;
            });
        }
        pair.Run(TimeSpan.FromSeconds(31));

        Assert.IsType<TimeoutException>(ended);
        Assert.True(pair.Responder.Statistics.Dropped(DatagramDropReason.AuthenticationFailed) >= 2 * 290);
    }
}
