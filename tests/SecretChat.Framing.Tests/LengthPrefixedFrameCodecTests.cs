using SecretChat.Tests;
using System.Buffers;

namespace SecretChat.Framing.Tests;

public class LengthPrefixedFrameCodecTests
{
    private const int Limit = LengthPrefixedFrameCodec.DefaultMaxPayloadSize;

    public static TheoryData<string, byte[], byte[][], int> CompleteInputs()
    {
        var data = new TheoryData<string, byte[], byte[][], int>
        {
            // name, wire bytes, expected payloads, expected bytes consumed
            { "zero length", [0, 0, 0, 0], [[]], 4 },
            { "one byte", [0, 0, 0, 1, 0xAB], [[0xAB]], 5 },
            { "three frames", [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2, 3], [[1], [], [2, 3]], 15 },
            { "frame then truncated header", [0, 0, 0, 1, 7, 0, 0], [[7]], 5 },
            { "frame then truncated payload", [0, 0, 0, 1, 7, 0, 0, 0, 3, 1, 2], [[7]], 5 },
            { "truncated header only", [0, 0, 0], [], 0 },
            { "truncated payload only", [0, 0, 0, 2, 9], [], 0 },
            { "empty input", [], [], 0 },
        };
        var max = new byte[Limit];
        max.AsSpan().Fill(0x5A);
        data.Add("maximum size", [0, 1, 0, 0, .. max], [max], 4 + Limit);
        return data;
    }

    [Theory]
    [MemberData(nameof(CompleteInputs))]
    public void TryDecode_Input_DecodesExactlyTheCompleteFrames(string name, byte[] wire, byte[][] expected, int expectedConsumed)
    {
        foreach (var segmentation in Enum.GetValues<Segmentation>())
        {
            var input = TestSequences.Create(wire, segmentation);
            var (payloads, consumed) = DecodeAll(input, Limit);

            Assert.True(expected.Length == payloads.Count, $"{name} ({segmentation}): {payloads.Count} frames");
            for (var i = 0; i < expected.Length; i++)
                Assert.Equal(expected[i], payloads[i]);
            Assert.Equal(expectedConsumed, consumed);
        }
    }

    public static TheoryData<string, byte[], long> OversizeHeaders() => new()
    {
        { "all ones", [0xFF, 0xFF, 0xFF, 0xFF], uint.MaxValue },
        { "one over the limit", [0, 1, 0, 1], Limit + 1 },
        { "header with a little payload", [0, 1, 0, 1, 1, 2, 3], Limit + 1 },
        { "after a valid frame", [0, 0, 0, 1, 9, 0x80, 0, 0, 0], 0x8000_0000 },
    };

    [Theory]
    [MemberData(nameof(OversizeHeaders))]
    public void TryDecode_OversizeHeader_ThrowsBeforeThePayloadArrives(string name, byte[] wire, long declared)
    {
        foreach (var segmentation in Enum.GetValues<Segmentation>())
        {
            var input = TestSequences.Create(wire, segmentation);
            var error = Assert.Throws<FrameTooLargeException>(() => DecodeAll(input, Limit));

            Assert.True(declared == error.DeclaredLength, $"{name} ({segmentation})");
            Assert.Equal(Limit, error.Limit);
        }
    }

    [Fact]
    public void TryDecode_OversizeHeader_MessageNamesTheLengthAndTheLimit()
    {
        var input = new ReadOnlySequence<byte>([0xFF, 0xFF, 0xFF, 0xFF]);

        var error = Assert.Throws<FrameTooLargeException>(() => LengthPrefixedFrameCodec.TryDecode(input, Limit, out _, out _));

        Assert.Equal("the peer announced a frame of 4294967295 bytes; the limit is 65536", error.Message);
        Assert.IsAssignableFrom<MalformedFrameException>(error);
    }

    [Fact]
    public void TryDecode_LowerLimit_AppliesToThatCallOnly()
    {
        var input = new ReadOnlySequence<byte>([0, 0, 0, 3, 1, 2, 3]);

        Assert.Throws<FrameTooLargeException>(() => LengthPrefixedFrameCodec.TryDecode(input, 2, out _, out _));
        Assert.True(LengthPrefixedFrameCodec.TryDecode(input, 3, out var payload, out _));
        Assert.Equal([1, 2, 3], payload.ToArray());
    }

    [Fact]
    public void TryDecode_NeedMoreData_ConsumesNothing()
    {
        var input = new ReadOnlySequence<byte>([0, 0, 0, 5, 1]);

        Assert.False(LengthPrefixedFrameCodec.TryDecode(input, Limit, out var payload, out var consumed));
        Assert.True(payload.IsEmpty);
        Assert.Equal(input.Start, consumed);
    }

    [Fact]
    public void TryDecode_NegativeLimit_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => LengthPrefixedFrameCodec.TryDecode(ReadOnlySequence<byte>.Empty, -1, out _, out _));
        Assert.Equal("maxPayloadSize", error.ParamName);
    }

    public static TheoryData<int> PayloadLengths() => [0, 1, 3, 4, 255, 256, 4096, Limit];

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void Encode_BufferWriterThenDecode_RoundTrips(int length)
    {
        var payload = Payload(length);
        var output = new ArrayBufferWriter<byte>();

        LengthPrefixedFrameCodec.Encode(payload, output);

        Assert.Equal(LengthPrefixedFrameCodec.GetEncodedLength(length), output.WrittenCount);
        foreach (var segmentation in Enum.GetValues<Segmentation>())
        {
            var (payloads, consumed) = DecodeAll(TestSequences.Create(output.WrittenSpan.ToArray(), segmentation), Limit);
            Assert.Equal(payload, Assert.Single(payloads));
            Assert.Equal(output.WrittenCount, consumed);
        }
    }

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void Encode_Span_WritesTheSameBytesAsTheBufferWriter(int length)
    {
        var payload = Payload(length);
        var output = new ArrayBufferWriter<byte>();
        LengthPrefixedFrameCodec.Encode(payload, output);
        var destination = new byte[length + 10];

        var written = LengthPrefixedFrameCodec.Encode(payload, destination);

        Assert.Equal(output.WrittenSpan.ToArray(), destination.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Encode_Header_IsBigEndian()
    {
        var destination = new byte[4 + 0x0102];

        LengthPrefixedFrameCodec.Encode(new byte[0x0102], destination);

        Assert.Equal([0, 0, 1, 2], destination[..4]);
    }

    [Fact]
    public void Encode_PayloadOverTheLimit_ThrowsArgumentException()
    {
        var payload = new byte[Limit + 1];

        var toWriter = Assert.Throws<ArgumentException>(() => LengthPrefixedFrameCodec.Encode(payload, new ArrayBufferWriter<byte>()));
        var toSpan = Assert.Throws<ArgumentException>(() => LengthPrefixedFrameCodec.Encode(payload, new byte[Limit + 8]));

        Assert.Equal("payload", toWriter.ParamName);
        Assert.Equal("payload", toSpan.ParamName);
    }

    [Fact]
    public void Encode_DestinationTooShort_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentException>(() => LengthPrefixedFrameCodec.Encode(new byte[3], new byte[6]));
        Assert.Equal("destination", error.ParamName);
    }

    [Fact]
    public void Encode_NullWriter_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentNullException>(() => LengthPrefixedFrameCodec.Encode([], (IBufferWriter<byte>)null!));
        Assert.Equal("output", error.ParamName);
    }

    [Fact]
    public void Encode_ManyFramesIntoOneBuffer_DecodeInOrder()
    {
        var output = new ArrayBufferWriter<byte>();
        var sent = Enumerable.Range(0, 50).Select(Payload).ToList();
        foreach (var payload in sent)
            LengthPrefixedFrameCodec.Encode(payload, output);

        foreach (var segmentation in Enum.GetValues<Segmentation>())
        {
            var (payloads, consumed) = DecodeAll(TestSequences.Create(output.WrittenSpan.ToArray(), segmentation), Limit);
            Assert.Equal(sent, payloads);
            Assert.Equal(output.WrittenCount, consumed);
        }
    }

    /// <summary>Decodes the way a read loop does: frame after frame until the codec wants more data.</summary>
    private static (List<byte[]> Payloads, long Consumed) DecodeAll(ReadOnlySequence<byte> input, int limit)
    {
        var payloads = new List<byte[]>();
        var remaining = input;
        while (LengthPrefixedFrameCodec.TryDecode(remaining, limit, out var payload, out var consumed))
        {
            payloads.Add(payload.ToArray());
            remaining = remaining.Slice(consumed);
        }

        return (payloads, input.Length - remaining.Length);
    }

    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
            payload[i] = (byte)(i * 31 + length);
        return payload;
    }
}
