using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>Mapping detection on the session's socket and the mapping notice, in virtual time.</summary>
public sealed class MappingExchangeTests : IDisposable
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private static readonly IPEndPoint FirstMapped = IPEndPoint.Parse("192.0.2.12:51000");
    private static readonly IPEndPoint Second = IPEndPoint.Parse("203.0.113.1:3479");
    private static readonly IPEndPoint Host = IPEndPoint.Parse("192.168.2.10:40000");
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly TestScheduler _scheduler = new();
    private readonly List<(byte[] Datagram, IPEndPoint To)> _sent = [];
    private readonly List<byte[]> _relayed = [];
    private readonly MappingExchange _exchange;

    public MappingExchangeTests() => _exchange = new MappingExchange(
        (datagram, to, _) =>
        {
            _sent.Add((datagram.ToArray(), to));
            return ValueTask.CompletedTask;
        },
        payload =>
        {
            _relayed.Add(payload.ToArray());
            return ValueTask.CompletedTask;
        },
        _scheduler);

    [Fact]
    public async Task Start_SecondServerSeesAnotherPort_IsEndpointDependentAndTellsThePeerThreeTimes()
    {
        _exchange.Start(FirstMapped, Second, [Host]);
        _scheduler.AdvanceBy(1);

        Assert.True(_exchange.TryHandleStun(Second, Answer(_sent[0].Datagram, IPEndPoint.Parse("192.0.2.12:62001"))));
        _scheduler.AdvanceBy(5000 * Ms);

        Assert.Equal(NatMappingKind.EndpointDependent, await _exchange.Local.WaitAsync(WaitLimit));
        Assert.Single(_sent); // answered: no retry
        Assert.Equal(Second, _sent[0].To);
        Assert.InRange(_sent[0].Datagram.Length, 52, 100); // the signaling server answers nothing larger than the request
        Assert.Equal(3, _relayed.Count);
        Assert.All(_relayed, n => Assert.Equal(MappingNotice.Encode(NatMappingKind.EndpointDependent), n));
    }

    [Fact]
    public async Task Start_SecondServerSeesTheSamePort_IsEndpointIndependent()
    {
        _exchange.Start(FirstMapped, Second, [Host]);
        _scheduler.AdvanceBy(1);

        _exchange.TryHandleStun(Second, Answer(_sent[0].Datagram, FirstMapped));

        Assert.Equal(NatMappingKind.EndpointIndependent, await _exchange.Local.WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task Start_SeenAtOurOwnAddress_IsNoNat()
    {
        _exchange.Start(Host, Second, [Host]);
        _scheduler.AdvanceBy(1);

        _exchange.TryHandleStun(Second, Answer(_sent[0].Datagram, Host));

        Assert.Equal(NatMappingKind.None, await _exchange.Local.WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task Start_SecondServerSilent_RetriesThriceThenUnknownAndTellsNothing()
    {
        _exchange.Start(FirstMapped, Second, [Host]);

        _scheduler.AdvanceBy(MappingExchange.StunGiveUp.Ticks + 1);
        _scheduler.AdvanceBy(10_000 * Ms);

        Assert.Equal(NatMappingKind.Unknown, await _exchange.Local.WaitAsync(WaitLimit));
        Assert.Equal(MappingExchange.StunTries, _sent.Count);
        Assert.Empty(_relayed);
    }

    [Fact]
    public async Task Start_NoSecondServer_UnknownWithoutSendingAnything()
    {
        _exchange.Start(FirstMapped, null, [Host]);
        _scheduler.AdvanceBy(10_000 * Ms);

        Assert.Equal(NatMappingKind.Unknown, await _exchange.Local.WaitAsync(WaitLimit));
        Assert.Empty(_sent);
        Assert.Empty(_relayed);
    }

    [Fact]
    public void TryHandleStun_FromAnotherAddressOrTransaction_IsNotTaken()
    {
        _exchange.Start(FirstMapped, Second, [Host]);
        _scheduler.AdvanceBy(1);
        var other = new StunMessageBuilder(StunMessageType.BindingSuccess, StunTransactionId.New()).AddXorMappedAddress(FirstMapped).ToArray();

        Assert.False(_exchange.TryHandleStun(IPEndPoint.Parse("203.0.113.1:3478"), Answer(_sent[0].Datagram, FirstMapped)));
        Assert.False(_exchange.TryHandleStun(Second, other));
        Assert.False(_exchange.Local.IsCompleted);
    }

    [Fact]
    public async Task TryHandleNotice_PeersNotice_IsTakenAndAnsweredOnce()
    {
        _exchange.Start(FirstMapped, Second, [Host]);
        _scheduler.AdvanceBy(1);
        _exchange.TryHandleStun(Second, Answer(_sent[0].Datagram, FirstMapped));
        _scheduler.AdvanceBy(5000 * Ms);

        Assert.True(_exchange.TryHandleNotice(MappingNotice.Encode(NatMappingKind.EndpointDependent)));
        Assert.True(_exchange.TryHandleNotice(MappingNotice.Encode(NatMappingKind.EndpointDependent)));

        Assert.Equal(NatMappingKind.EndpointDependent, await _exchange.Peer.WaitAsync(WaitLimit));
        Assert.Equal(MappingExchange.NoticeSends + 1, _relayed.Count);
    }

    [Theory]
    [InlineData(new byte[] { 0x51, (byte)'S', (byte)'C', (byte)'M', 4 })]
    [InlineData(new byte[] { 0x51, (byte)'S', (byte)'C', (byte)'M' })]
    [InlineData(new byte[] { 0x51, (byte)'S', (byte)'C', (byte)'M', 2, 0 })]
    [InlineData(new byte[] { 0x51, (byte)'X', (byte)'C', (byte)'M', 2 })]
    public void TryHandleNotice_Malformed_IsDroppedAndTellsNothing(byte[] notice)
    {
        Assert.True(_exchange.TryHandleNotice(notice));
        Assert.False(_exchange.Peer.IsCompleted);
    }

    [Fact]
    public void TryHandleNotice_SessionPacket_IsNotANotice() =>
        Assert.False(_exchange.TryHandleNotice([0x01, 0, 0, 0, 0]));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MappingNotice_RoundTrip_KeepsTheKind(byte value)
    {
        var kind = (NatMappingKind)value;
        var encoded = MappingNotice.Encode(kind);

        Assert.Equal(MappingNotice.Length, encoded.Length);
        Assert.True(MappingNotice.TryDecode(encoded, out var decoded));
        Assert.Equal(kind, decoded);
    }

    public void Dispose() => _exchange.Dispose();

    private static byte[] Answer(byte[] request, IPEndPoint mapped) =>
        new StunMessageBuilder(StunMessageType.BindingSuccess, StunMessage.Parse(request).TransactionId).AddXorMappedAddress(mapped).ToArray();
}
