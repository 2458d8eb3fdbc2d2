using SecretChat.Tests;
using System.Buffers;
using System.Text;

namespace SecretChat.Framing.Tests;

public class EnvelopeCodecTests
{
    public static TheoryData<byte, ulong, long, string> Envelopes() => new()
    {
        { (byte)EnvelopeKind.Hello, 0, 1_700_000_000_000, "alice" },
        { (byte)EnvelopeKind.Text, 1, 1_700_000_000_123, "hello, wörld ✓" },
        { (byte)EnvelopeKind.Ack, ulong.MaxValue, 0, "" },
        { (byte)EnvelopeKind.Finished, 42, -1, "" },
        { (byte)EnvelopeKind.Close, 7, long.MaxValue, "bye" },
        { 200, 9, long.MinValue, "a kind from the future" },
    };

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Encode_ThenDecodeSpan_RoundTrips(byte kind, ulong id, long timestamp, string text)
    {
        var header = new EnvelopeHeader((EnvelopeKind)kind, id, timestamp);
        var body = Encoding.UTF8.GetBytes(text);
        var destination = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];

        var written = EnvelopeCodec.Encode(header, body, destination);

        Assert.Equal(destination.Length, written);
        Assert.True(EnvelopeCodec.TryDecode(destination, out var decoded, out var decodedBody));
        Assert.Equal(header, decoded);
        Assert.Equal(body, decodedBody.ToArray());
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Encode_ThenDecodeSequence_RoundTripsWhateverTheSegmentation(byte kind, ulong id, long timestamp, string text)
    {
        var header = new EnvelopeHeader((EnvelopeKind)kind, id, timestamp);
        var body = Encoding.UTF8.GetBytes(text);
        var output = new ArrayBufferWriter<byte>();
        EnvelopeCodec.Encode(header, body, output);

        foreach (var segmentation in Enum.GetValues<Segmentation>())
        {
            var input = TestSequences.Create(output.WrittenSpan.ToArray(), segmentation);

            Assert.True(EnvelopeCodec.TryDecode(input, out var decoded, out var decodedBody));
            Assert.Equal(header, decoded);
            Assert.Equal(body, decodedBody.ToArray());
        }
    }

    [Fact]
    public void Encode_Layout_IsKindThenBigEndianIdThenBigEndianTimestampThenBody()
    {
        var header = new EnvelopeHeader(EnvelopeKind.Text, 0x0102030405060708, 0x1112131415161718);
        var destination = new byte[EnvelopeCodec.HeaderSize + 2];

        EnvelopeCodec.Encode(header, [0xAA, 0xBB], destination);

        Assert.Equal(
            [2, 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0xAA, 0xBB],
            destination);
        Assert.Equal(17, EnvelopeCodec.HeaderSize);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    public void TryDecode_ShorterThanTheHeader_ReturnsFalse(int length)
    {
        var bytes = new byte[length];

        Assert.False(EnvelopeCodec.TryDecode(bytes, out _, out _));
        foreach (var segmentation in Enum.GetValues<Segmentation>())
            Assert.False(EnvelopeCodec.TryDecode(TestSequences.Create(bytes, segmentation), out _, out _));
    }

    [Fact]
    public void TryDecode_UnknownKind_DecodesSoTheAppCanIgnoreIt()
    {
        var bytes = new byte[EnvelopeCodec.HeaderSize];
        bytes[0] = 0xEE;

        Assert.True(EnvelopeCodec.TryDecode(bytes, out var header, out var body));
        Assert.Equal((EnvelopeKind)0xEE, header.Kind);
        Assert.False(Enum.IsDefined(header.Kind));
        Assert.True(body.IsEmpty);
    }

    [Fact]
    public void Encode_DestinationTooShort_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentException>(
            () => EnvelopeCodec.Encode(new EnvelopeHeader(EnvelopeKind.Text, 1, 1), [1, 2], new byte[EnvelopeCodec.HeaderSize + 1]));
        Assert.Equal("destination", error.ParamName);
    }

    [Fact]
    public void Encode_NullWriter_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentNullException>(
            () => EnvelopeCodec.Encode(new EnvelopeHeader(EnvelopeKind.Ack, 1, 1), [], (IBufferWriter<byte>)null!));
        Assert.Equal("output", error.ParamName);
    }

    [Fact]
    public void GetEncodedLength_NegativeBody_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EnvelopeCodec.GetEncodedLength(-1));
        Assert.Equal("bodyLength", error.ParamName);
    }
}
