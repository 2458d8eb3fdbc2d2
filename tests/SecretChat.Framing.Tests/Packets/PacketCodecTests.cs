using System.Buffers;
using SecretChat.Framing.Packets;
using SecretChat.Tests;

namespace SecretChat.Framing.Tests.Packets;

public class PacketCodecTests
{
    public static TheoryData<string, PacketHeader, byte[], string> Packets => new()
    {
        { "hello", PacketHeader.Handshake(0x01020304, 0), "SCHT\x01\x02\x01"u8.ToArray(), "01 01020304 00 53434854010201" },
        { "handshake message", PacketHeader.Handshake(0xFFFFFFFF, 255), [0xAA], "01 FFFFFFFF FF AA" },
        { "data", PacketHeader.Data(0x0A0B0C0D, 0x0102030405060708), [1, 2, 3], "02 0A0B0C0D 0102030405060708 010203" },
        { "data, empty payload", PacketHeader.Data(7, ulong.MaxValue), [], "02 00000007 FFFFFFFFFFFFFFFF" },
        { "reject", PacketHeader.Reject(9), "no"u8.ToArray(), "03 00000009 6E6F" },
        { "reject, no reason", PacketHeader.Reject(9), [], "03 00000009" },
        {
            "initiator's hello, no cookie", PacketHeader.InitiatorHello(0x01020304), [.. new byte[16], .. "SCHT\x01\x02\x01"u8.ToArray()],
            "04 01020304 00000000000000000000000000000000 53434854010201"
        },
        { "initiator's hello, cookie", PacketHeader.InitiatorHello(5), [.. Enumerable.Range(1, 16).Select(i => (byte)i), 0xAA], "04 00000005 0102030405060708090A0B0C0D0E0F10 AA" },
        { "cookie", PacketHeader.Cookie(0x0A0B0C0D), [.. Enumerable.Range(1, 16).Select(i => (byte)i)], "05 0A0B0C0D 0102030405060708090A0B0C0D0E0F10" },
    };

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Theory]
    [MemberData(nameof(Packets))]
    public void Encode_Packet_WritesTheLayout(string name, PacketHeader header, byte[] body, string wire)
    {
        var buffer = new byte[PacketCodec.MaxDatagramSize];
        var written = PacketCodec.Encode(header, body, buffer);
        Assert.True(Hex(wire).AsSpan().SequenceEqual(buffer.AsSpan(0, written)), name);

        var writer = new ArrayBufferWriter<byte>();
        PacketCodec.Encode(header, body, writer);
        Assert.Equal(Hex(wire), writer.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void TryDecode_Span_ReadsHeaderAndBody(string name, PacketHeader header, byte[] body, string wire)
    {
        Assert.True(PacketCodec.TryDecode(Hex(wire), out var decoded, out ReadOnlySpan<byte> decodedBody, out var error), name);
        Assert.Equal(PacketError.None, error);
        Assert.Equal(header, decoded);
        Assert.Equal(body, decodedBody.ToArray());
        Assert.Equal(header, PacketCodec.Decode(Hex(wire), out _));
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void TryDecode_SequenceWholeAndOneBytePerSegment_ReadsHeaderAndBody(string name, PacketHeader header, byte[] body, string wire)
    {
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(Hex(wire)), TestSequences.OneBytePerSegment(Hex(wire)) })
        {
            Assert.True(PacketCodec.TryDecode(sequence, out var decoded, out ReadOnlySequence<byte> decodedBody, out _), name);
            Assert.Equal(header, decoded);
            Assert.Equal(body, decodedBody.ToArray());
        }
    }

    public static TheoryData<string, PacketError> Malformed => new()
    {
        { "", PacketError.Empty },
        { "00", PacketError.UnknownType },
        { "06 00000000", PacketError.UnknownType },
        { "04 00000001 0102030405060708090A0B0C0D0E0F10", PacketError.Truncated }, // a hello without a hello
        { "05 00000001 0102030405060708090A0B0C0D0E0F", PacketError.Truncated },
        { "05 00000001 0102030405060708090A0B0C0D0E0F1011", PacketError.Oversize },
        { "FF", PacketError.UnknownType },
        { "01", PacketError.Truncated },
        { "01 00000001", PacketError.Truncated },
        { "01 00000001 00", PacketError.Truncated }, // a handshake packet without a message
        { "02 00000001 00000000000000", PacketError.Truncated },
        { "03 000000", PacketError.Truncated },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryDecode_Malformed_FalseWithTheReason(string wire, PacketError expected)
    {
        var bytes = Hex(wire);
        Assert.False(PacketCodec.TryDecode(bytes, out _, out ReadOnlySpan<byte> _, out var error));
        Assert.Equal(expected, error);
        Assert.False(PacketCodec.TryDecode(TestSequences.OneBytePerSegment(bytes), out _, out ReadOnlySequence<byte> _, out var sequenceError));
        Assert.Equal(expected, sequenceError);
        Assert.Contains(expected.ToString(), Assert.Throws<InvalidDataException>(() => PacketCodec.Decode(bytes, out _)).Message);
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void TryDecode_EveryPrefixShorterThanTheHeader_Fails(string name, PacketHeader header, byte[] body, string wire)
    {
        _ = body;
        var bytes = Hex(wire);
        var minimum = header.Type switch
        {
            PacketType.Handshake => header.Size + 1,
            PacketType.InitiatorHello => PacketCodec.MinInitiatorHelloSize,
            PacketType.Cookie => PacketCodec.CookiePacketSize,
            _ => header.Size,
        };
        for (var length = 0; length < minimum; length++)
            Assert.False(PacketCodec.TryDecode(bytes.AsSpan(0, length), out _, out _, out _), $"{name}: {length} bytes");
    }

    [Fact]
    public void TryDecode_LargerThanADatagram_Oversize()
    {
        var bytes = new byte[PacketCodec.MaxDatagramSize + 1];
        bytes[0] = (byte)PacketType.Data;
        Assert.False(PacketCodec.TryDecode(bytes, out _, out ReadOnlySpan<byte> _, out var error));
        Assert.Equal(PacketError.Oversize, error);
        Assert.False(PacketCodec.TryDecode(new ReadOnlySequence<byte>(bytes), out _, out ReadOnlySequence<byte> _, out error));
        Assert.Equal(PacketError.Oversize, error);

        var reject = new byte[PacketCodec.RejectHeaderSize + PacketCodec.MaxRejectReasonSize + 1];
        reject[0] = (byte)PacketType.Reject;
        Assert.False(PacketCodec.TryDecode(reject, out _, out ReadOnlySpan<byte> _, out error));
        Assert.Equal(PacketError.Oversize, error);
    }

    [Fact]
    public void CookiePacket_SmallerThanEveryInitiatorHello()
    {
        Assert.Equal(21, PacketCodec.CookiePacketSize);
        Assert.True(PacketCodec.CookiePacketSize < PacketCodec.MinInitiatorHelloSize);
    }

    [Fact]
    public void TryDecode_ExactlyOneDatagram_Succeeds()
    {
        var bytes = new byte[PacketCodec.MaxDatagramSize];
        bytes[0] = (byte)PacketType.Data;
        Assert.True(PacketCodec.TryDecode(bytes, out _, out ReadOnlySpan<byte> body, out _));
        Assert.Equal(PacketCodec.MaxDatagramSize - PacketCodec.DataHeaderSize, body.Length);
    }

    [Fact]
    public void Encode_ArgumentChecking()
    {
        var buffer = new byte[2000];
        Assert.Equal("bodyLength", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.Data(1, 1), new byte[1200 - 12], buffer)).ParamName);
        Assert.Equal("bodyLength", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.Handshake(1, 1), [], buffer)).ParamName);
        Assert.Equal("bodyLength", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.Reject(1), new byte[257], buffer)).ParamName);
        Assert.Equal("bodyLength", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.InitiatorHello(1), new byte[16], buffer)).ParamName);
        Assert.Equal("bodyLength", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.Cookie(1), new byte[17], buffer)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => PacketCodec.Encode(PacketHeader.Data(1, 1), [1], new byte[13])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentNullException>(() => PacketCodec.Encode(PacketHeader.Data(1, 1), [1], (IBufferWriter<byte>)null!)).ParamName);
        Assert.Equal("type", Assert.Throws<ArgumentOutOfRangeException>(() => PacketCodec.HeaderSize((PacketType)9)).ParamName);
    }
}
