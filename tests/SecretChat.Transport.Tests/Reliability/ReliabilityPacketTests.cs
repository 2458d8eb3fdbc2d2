using SecretChat.Transport.Reliability;

namespace SecretChat.Transport.Tests.Reliability;

public class ReliabilityPacketTests
{
    [Fact]
    public void TryDecode_Data_ReadsHeaderAndBytes()
    {
        var buffer = new byte[20];
        var length = ReliabilityPacket.WriteData(buffer, ReliabilityPacket.FirstFlag, 0x1_0000_0005, 7, [1, 2, 3]);

        Assert.Equal(13, length);
        Assert.Equal(0x11, buffer[0]);
        Assert.True(ReliabilityPacket.TryDecode(buffer.AsSpan(0, length), out var packet));
        Assert.Equal(ReliabilityPacketType.Data, packet.Type);
        Assert.Equal(ReliabilityPacket.FirstFlag, packet.Flags);
        Assert.Equal(5u, packet.Sequence);
        Assert.Equal(7u, packet.Ack);
        Assert.Equal(new byte[] { 1, 2, 3 }, packet.Data.ToArray());
    }

    [Fact]
    public void TryDecode_AckWithRanges_ReadsRanges()
    {
        var buffer = new byte[14];
        ReliabilityPacket.WriteAckHeader(buffer, 100, 2);
        ReliabilityPacket.WriteRange(buffer, 0, 1, 3);
        ReliabilityPacket.WriteRange(buffer, 1, 2, 1);

        Assert.True(ReliabilityPacket.TryDecode(buffer, out var packet));
        Assert.Equal(ReliabilityPacketType.Ack, packet.Type);
        Assert.Equal(100u, packet.Ack);
        Assert.Equal(2, packet.RangeCount);
        Assert.Equal(((ushort)1, (ushort)3), packet.Range(0));
        Assert.Equal(((ushort)2, (ushort)1), packet.Range(1));
    }

    [Fact]
    public void TryDecode_KeepAliveAndClose_Read()
    {
        var buffer = new byte[9];
        Assert.Equal(5, ReliabilityPacket.WriteKeepAlive(buffer, 9));
        Assert.True(ReliabilityPacket.TryDecode(buffer.AsSpan(0, 5), out var keepAlive));
        Assert.Equal(ReliabilityPacketType.KeepAlive, keepAlive.Type);
        Assert.Equal(9u, keepAlive.Ack);

        Assert.Equal(9, ReliabilityPacket.WriteClose(buffer, 4, 2));
        Assert.True(ReliabilityPacket.TryDecode(buffer, out var close));
        Assert.Equal(ReliabilityPacketType.Close, close.Type);
        Assert.Equal(4u, close.Sequence);
        Assert.Equal(2u, close.Ack);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "empty", [] },
        { "version 0", [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "version 2", [0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "type 0", [0x10, 0, 0, 0, 0] },
        { "type 5", [0x15, 0, 0, 0, 0] },
        { "type 15", [0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "data header truncated", [0x11, 0x03, 0, 0, 0, 0, 0, 0, 0] },
        { "data unknown flag", [0x11, 0x04, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "ack truncated", [0x12, 0, 0, 0, 0] },
        { "ack range missing", [0x12, 0, 0, 0, 0, 1, 0, 1, 0] },
        { "ack trailing bytes", [0x12, 0, 0, 0, 0, 0, 9] },
        { "keepalive long", [0x13, 0, 0, 0, 0, 0] },
        { "keepalive short", [0x13, 0, 0, 0] },
        { "close short", [0x14, 0, 0, 0, 0, 0, 0, 0] },
        { "close long", [0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryDecode_MalformedPayload_ReturnsFalse(string name, byte[] payload)
    {
        Assert.False(ReliabilityPacket.TryDecode(payload, out _), name);
    }

    [Theory]
    [InlineData(5u, 0L, 5L)]
    [InlineData(0xFFFF_FFFFu, 0x1_0000_0002L, 0xFFFF_FFFFL)]
    [InlineData(3u, 0xFFFF_FFF0L, 0x1_0000_0003L)]
    [InlineData(0xFFFF_FFFFu, 0L, 0xFFFF_FFFFL)]
    [InlineData(0u, 0x2_0000_0000L, 0x2_0000_0000L)]
    public void Widen_WireNumber_PicksNearestToExpected(uint wire, long expected, long widened)
    {
        Assert.Equal(widened, ReliabilityPacket.Widen(wire, expected));
    }
}
