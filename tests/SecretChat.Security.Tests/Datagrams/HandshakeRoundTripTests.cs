using Microsoft.Reactive.Testing;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport.Reliability;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// The handshake measures one round trip on each side, and the reliability engine times its first messages with it:
/// a lost first message (the chat's hello, the first line) is resent after about three round trips of the path, not
/// after the engine's initial second (noise over a virtual link with a fixed one-way delay, virtual time).
/// </summary>
public sealed class HandshakeRoundTripTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(40);
    private static readonly long Step = TimeSpan.FromMilliseconds(1).Ticks;

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();
    private readonly TestScheduler _scheduler = new();
    private readonly VirtualNetwork _network;

    public HandshakeRoundTripTests() => _network = new VirtualNetwork(_scheduler) { Latency = Delay };

    [Fact]
    public void HandshakeRoundTrip_FixedDelayLink_IsOneRoundTripOnEachSide()
    {
        var (initiator, responder) = Handshake();

        // The initiator: its hello and e to the responder's hello and answer; the responder: its answer to the last message.
        Assert.Equal(2 * Delay, initiator.HandshakeRoundTrip);
        Assert.Equal(2 * Delay, responder.HandshakeRoundTrip);
        initiator.Dispose();
        responder.Dispose();
    }

    [Fact]
    public void HandshakeRoundTrip_FirstFlightLostAndResent_IsTheUpperBoundFromTheFirstSending()
    {
        DropTheNextDatagramFromTheInitiator(); // its hello

        var (initiator, responder) = Handshake();

        // The answer could be to either sending (Karn); from the first one it is never shorter than the path's round trip.
        Assert.Equal(DatagramChannelOptions.Default.RetransmitInitial + 2 * Delay, initiator.HandshakeRoundTrip);
        Assert.Equal(2 * Delay, responder.HandshakeRoundTrip);
        initiator.Dispose();
        responder.Dispose();
    }

    [Fact]
    public void FirstMessage_LostOnceAfterTheHandshake_IsResentAfterThreeHandshakeRoundTripsNotAfterASecond()
    {
        var (initiatorDatagrams, responderDatagrams) = Handshake();
        var initiator = new ReliableDatagramChannel(initiatorDatagrams, new ReliabilityOptions(), _scheduler);
        var responder = new ReliableDatagramChannel(responderDatagrams, new ReliabilityOptions(), _scheduler);
        long? deliveredAt = null;
        using var messages = responder.Messages.Subscribe(_ => deliveredAt ??= _scheduler.Clock);
        var lost = DropTheNextDatagramFromTheInitiator(); // the first message's

        var sentAt = _scheduler.Clock;
        Assert.True(initiator.SendAsync("first"u8.ToArray()).IsCompletedSuccessfully);
        while (deliveredAt is null && _scheduler.Clock - sentAt < TimeSpan.FromSeconds(5).Ticks)
            _scheduler.AdvanceBy(Step);

        // RTO from the handshake's 80 ms: 80 + 4 x 40 = 240 ms, then one delay to the responder.
        Assert.Single(lost);
        Assert.NotNull(deliveredAt);
        Assert.Equal(TimeSpan.FromMilliseconds(240) + Delay, TimeSpan.FromTicks(deliveredAt.Value - sentAt));
        initiatorDatagrams.Dispose();
        responderDatagrams.Dispose();
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    private List<Wire> DropTheNextDatagramFromTheInitiator()
    {
        var lost = new List<Wire>();
        _network.Drop = wire =>
        {
            if (lost.Count > 0 || !wire.From.Equals(ChannelPair.A))
                return false;
            lost.Add(wire);
            return true;
        };
        return lost;
    }

    private (SecureDatagramChannel Initiator, SecureDatagramChannel Responder) Handshake()
    {
        var responder = SecureDatagramChannel.Accept(new NoiseSecurity(_bob), _network.SendFrom(ChannelPair.B), null, _scheduler);
        _network.Attach(ChannelPair.B, responder);
        var initiator = SecureDatagramChannel.Connect(new NoiseSecurity(_alice), ChannelPair.B, _network.SendFrom(ChannelPair.A), null, _scheduler);
        _network.Attach(ChannelPair.A, initiator);
        var limit = _scheduler.Clock + TimeSpan.FromSeconds(10).Ticks;
        while (!(initiator.Established.IsCompleted && responder.Established.IsCompleted) && _scheduler.Clock < limit)
            _scheduler.AdvanceBy(Step);
        Assert.True(initiator.Established.IsCompletedSuccessfully && responder.Established.IsCompletedSuccessfully, "the handshake did not complete");
        return (initiator, responder);
    }
}
