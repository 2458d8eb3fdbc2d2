using System.Buffers;

namespace SecretChat.Tests;

/// <summary>Builds multi-segment sequences, so parsers are tested on data split at every byte.</summary>
internal static class TestSequences
{
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
            return ReadOnlySequence<byte>.Empty;
        var first = new Segment(bytes[..1].ToArray(), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
            last = last.Append(bytes.Slice(i, 1).ToArray());
        return new ReadOnlySequence<byte>(first, 0, last, 1);
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
