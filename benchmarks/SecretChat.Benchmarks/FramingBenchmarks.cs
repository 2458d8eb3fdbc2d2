using System.Buffers;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Framing;

namespace SecretChat.Benchmarks;

/// <summary>
/// The length-prefixed frame codec, per frame. Encode writes into a reused buffer writer (as the pipe
/// writer does); decode parses a frame that has fully arrived, in one segment and split over two (a frame
/// straddling two socket reads). Baselines: copying the payload (the least any framing costs) and decoding
/// a single-segment frame.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class FramingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(LengthPrefixedFrameCodec.GetEncodedLength(64 * 1024));
    private byte[] _payload = [];
    private byte[] _copyTarget = [];
    private ReadOnlySequence<byte> _frame;
    private ReadOnlySequence<byte> _splitFrame;

    [Params(16, 1024, 64 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[MessageSize];
        Random.Shared.NextBytes(_payload);
        _copyTarget = new byte[LengthPrefixedFrameCodec.GetEncodedLength(MessageSize)];

        var encoded = new byte[LengthPrefixedFrameCodec.GetEncodedLength(MessageSize)];
        LengthPrefixedFrameCodec.Encode(_payload, encoded.AsSpan());
        _frame = new ReadOnlySequence<byte>(encoded);
        _splitFrame = Segments.Split(encoded, encoded.Length / 2);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public void CopyPayload() => _payload.CopyTo(_copyTarget, LengthPrefixedFrameCodec.HeaderSize);

    [Benchmark, BenchmarkCategory("Encode")]
    public int Encode()
    {
        _output.ResetWrittenCount();
        LengthPrefixedFrameCodec.Encode(_payload, _output);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Decode")]
    public long Decode() => Decode(_frame);

    [Benchmark, BenchmarkCategory("Decode")]
    public long DecodeSplitFrame() => Decode(_splitFrame);

    private static long Decode(in ReadOnlySequence<byte> input)
    {
        if (!LengthPrefixedFrameCodec.TryDecode(input, LengthPrefixedFrameCodec.DefaultMaxPayloadSize, out var payload, out _))
            throw new InvalidOperationException("The prepared frame did not decode.");
        return payload.Length;
    }
}
