using System.Buffers;

namespace SecretChat.Tests;

/// <summary>How a test input is split into buffers: parsers must not care.</summary>
public enum Segmentation
{
    OneSegment,
    OneBytePerSegment,
}

/// <summary>Builds <see cref="ReadOnlySequence{T}"/> inputs shaped like a pipe would hand them out.</summary>
internal static class TestSequences
{
    public static ReadOnlySequence<byte> Create(byte[] bytes, Segmentation segmentation) => segmentation switch
    {
        Segmentation.OneSegment => new ReadOnlySequence<byte>(bytes),
        Segmentation.OneBytePerSegment => Split(bytes, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(segmentation)),
    };

    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> bytes) => Split(bytes.ToArray(), 1);

    /// <summary>Splits into segments of <paramref name="segmentSize"/> bytes, each its own array, so nothing reads past a boundary by accident.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int segmentSize)
    {
        if (bytes.Length == 0)
            return ReadOnlySequence<byte>.Empty;

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentSize)
        {
            var chunk = bytes.AsSpan(offset, Math.Min(segmentSize, bytes.Length - offset)).ToArray();
            if (last is null)
                first = last = new Segment(chunk, 0);
            else
                last = last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
