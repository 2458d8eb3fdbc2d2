using Microsoft.Reactive.Testing;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// How many one-way delays pass, over a link with a fixed delay, from the first byte the initiator sends to the first
/// message delivered to the responder's side (noise over datagrams, virtual time).
/// </summary>
/// <remarks>
/// Protocol 1 (the code before protocol 2, and docs/PROTOCOL.md of that time): the initiator's hello (0 -> 1), the
/// responder's hello (1 -> 2), then XX's three messages, the first text riding behind the third: 2 + 3 = 5 delays.
/// Protocol 2: hello + e (0 -> 1), hello + e,ee,s,es (1 -> 2), s,se + the text (2 -> 3): 3 delays, one round trip fewer.
/// Over TCP protocol 1 sent both hellos at once, so it took 4 delays after the connection; protocol 2 takes 3 there too.
/// </remarks>
public sealed class RoundTripCountTests : IDisposable
{
    private const int ProtocolOneDelays = 5;
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(40);

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();

    [Fact]
    public void FirstMessage_OverAFixedDelayLink_ArrivesAfterThreeOneWayDelays_OneRoundTripFewerThanProtocolOne()
    {
        var scheduler = new TestScheduler();
        var network = new VirtualNetwork(scheduler) { Latency = Delay };
        var responder = SecureDatagramChannel.Accept(new NoiseSecurity(_bob), network.SendFrom(ChannelPair.B), null, scheduler);
        network.Attach(ChannelPair.B, responder);
        long? deliveredAt = null;
        using var delivered = responder.Payloads.Subscribe(_ => deliveredAt ??= scheduler.Clock);
        var initiator = SecureDatagramChannel.Connect(new NoiseSecurity(_alice), ChannelPair.B, network.SendFrom(ChannelPair.A), null, scheduler);
        network.Attach(ChannelPair.A, initiator);
        var firstByte = network.Log[0].SentAt;

        // The initiator sends the moment its session exists (as a chat does with a queued first line).
        var step = TimeSpan.FromMilliseconds(1).Ticks;
        while (!initiator.Established.IsCompleted)
            scheduler.AdvanceBy(step);
        Assert.True(initiator.Established.IsCompletedSuccessfully);
        Assert.True(initiator.SendAsync("first"u8.ToArray()).IsCompletedSuccessfully);
        while (deliveredAt is null && scheduler.Clock - firstByte < 10 * Delay.Ticks)
            scheduler.AdvanceBy(step);

        Assert.NotNull(deliveredAt);
        var delays = (deliveredAt.Value - firstByte) / (double)Delay.Ticks;
        Assert.Equal(3, delays);
        Assert.Equal(ProtocolOneDelays - 2, delays);
        Assert.Equal(0, initiator.Statistics.Retransmitted + responder.Statistics.Retransmitted);
        initiator.Dispose();
        responder.Dispose();
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }
}
