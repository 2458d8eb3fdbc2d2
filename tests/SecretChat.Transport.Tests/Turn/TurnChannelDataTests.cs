using System.Net;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

public class TurnChannelDataTests
{
    [Fact]
    public void Encode_ThenDecode_RoundTripsChannelAndData()
    {
        var buffer = new byte[16];
        var written = TurnChannelData.Encode(0x4ABC, [1, 2, 3, 4, 5], buffer);

        Assert.Equal(9, written);
        Assert.Equal(new byte[] { 0x4A, 0xBC, 0x00, 0x05, 1, 2, 3, 4, 5 }, buffer[..written]);
        Assert.True(TurnChannelData.TryDecode(buffer.AsSpan(0, written), out var channel, out var data));
        Assert.Equal(0x4ABC, channel);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, data.ToArray());
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    public void TryDecode_TrailingPadding_AcceptedUpToThreeBytes(int padding, bool accepted)
    {
        var datagram = new byte[4 + 1 + padding];
        TurnChannelData.Encode(0x4000, [7], datagram);

        Assert.Equal(accepted, TurnChannelData.TryDecode(datagram, out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x40, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x40, 0x00, 0x00, 0x02, 1 })]
    [InlineData(new byte[] { 0x3F, 0xFF, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x50, 0x00, 0x00, 0x00 })]
    public void TryDecode_TruncatedOrReservedChannel_False(byte[] datagram) =>
        Assert.False(TurnChannelData.TryDecode(datagram, out _, out _));

    [Fact]
    public void IsChannelData_FirstTwoBitsZeroOne_SoStunAndOthersAreNot()
    {
        Assert.True(TurnChannelData.IsChannelData([0x40]));
        Assert.True(TurnChannelData.IsChannelData([0x7F]));
        Assert.False(TurnChannelData.IsChannelData([0x00]));
        Assert.False(TurnChannelData.IsChannelData([0x80]));
        Assert.False(TurnChannelData.IsChannelData([]));
    }

    [Fact]
    public void Encode_ArgumentChecking()
    {
        var buffer = new byte[70_000];
        Assert.Equal("channel", Assert.Throws<ArgumentOutOfRangeException>(() => TurnChannelData.Encode(0x5000, [], buffer)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => TurnChannelData.Encode(0x4000, new byte[65536], buffer)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => TurnChannelData.Encode(0x4000, [1, 2], new byte[5])).ParamName);
    }

    [Fact]
    public void StunMessage_TurnAttributes_RoundTripThroughTheOneCodec()
    {
        var id = StunTransactionId.New();
        var relayed = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 50000);
        var peer = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 61000);
        var bytes = new StunMessageBuilder(new StunMessageType(StunMessageType.ChannelBindMethod, StunClass.SuccessResponse), id)
            .AddXorRelayedAddress(relayed).AddXorPeerAddress(peer).AddLifetime(TimeSpan.FromSeconds(600))
            .AddChannelNumber(0x4001).AddData([9, 8, 7]).AddRequestedTransport(17).AddFingerprint().ToArray();

        var message = StunMessage.Parse(bytes);
        Assert.Equal(relayed, message.XorRelayedAddress);
        Assert.Equal(peer, message.XorPeerAddress);
        Assert.Equal(TimeSpan.FromSeconds(600), message.Lifetime);
        Assert.Equal((ushort)0x4001, message.ChannelNumber);
        Assert.Equal(new byte[] { 9, 8, 7 }, message.Data!.Value.ToArray());
        Assert.Empty(message.UnknownComprehensionRequired);
        Assert.Equal("ChannelBind SuccessResponse", message.Type.ToString());
    }

    [Theory]
    [InlineData(StunAttributeType.Lifetime, 3)]
    [InlineData(StunAttributeType.ChannelNumber, 2)]
    [InlineData(StunAttributeType.XorPeerAddress, 5)]
    [InlineData(StunAttributeType.XorRelayedAddress, 7)]
    public void StunMessage_MalformedTurnAttribute_DoesNotParse(ushort type, int length)
    {
        var bytes = new StunMessageBuilder(new StunMessageType(StunMessageType.AllocateMethod, StunClass.SuccessResponse), StunTransactionId.New())
            .AddAttribute(type, new byte[length]).ToArray();

        Assert.False(StunMessage.TryParse(bytes, out _));
    }
}
