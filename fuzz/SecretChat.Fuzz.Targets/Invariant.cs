using System.Buffers;

namespace SecretChat.Fuzz;

/// <summary>The checks every target shares.</summary>
internal static class Invariant
{
    /// <summary>
    /// What a parser may allocate for an input of <paramref name="inputLength"/> bytes: a fixed allowance (an exception
    /// with its message and stack trace, a few small objects) plus a small multiple of the bytes that are really there.
    /// A parser that trusts a length field before the bytes arrive allocates far more than this for a short input.
    /// </summary>
    public static long AllocationBound(int inputLength) => 32 * 1024 + 16L * inputLength;

    public static void That(bool condition, string what)
    {
        if (!condition)
            throw new FuzzInvariantException(what);
    }

    public static void Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
            throw new FuzzInvariantException(
                $"{what}: expected {Convert.ToHexString(expected)}, got {Convert.ToHexString(actual)}.");
    }

    /// <summary>
    /// Runs <paramref name="parse"/> and checks what it allocated against <see cref="AllocationBound"/>. Returns false when
    /// it threw <typeparamref name="TDocumented"/> (the parser's documented refusal); any other exception escapes.
    /// </summary>
    public static bool Parses<TDocumented>(int inputLength, string parser, Action parse)
        where TDocumented : Exception
    {
        var (parsed, allocated) = Measure<TDocumented>(parse);
        // A first call may run static initialisers (the Unicode tables behind name checks): once, not per input, so
        // only a second call over the bound is a finding.
        if (allocated > AllocationBound(inputLength))
            (parsed, allocated) = Measure<TDocumented>(parse);
        if (allocated > AllocationBound(inputLength))
            throw new FuzzInvariantException(
                $"{parser} allocated {allocated} bytes for an input of {inputLength} (bound {AllocationBound(inputLength)}).");
        return parsed;
    }

    private static (bool Parsed, long Allocated) Measure<TDocumented>(Action parse)
        where TDocumented : Exception
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        bool parsed;
        try
        {
            parse();
            parsed = true;
        }
        catch (TDocumented)
        {
            parsed = false;
        }
        return (parsed, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// The ways a stream codec sees <paramref name="input"/>: one segment, one byte per segment, and two segments split at
    /// every position (for long inputs, at every position of the first and last 64 bytes and 32 spread between).
    /// </summary>
    public static IEnumerable<ReadOnlySequence<byte>> Segmentations(byte[] input)
    {
        yield return new ReadOnlySequence<byte>(input);
        if (input.Length < 2)
            yield break;
        yield return Segments.Of(input, Enumerable.Range(1, input.Length - 1));
        foreach (var split in SplitPoints(input.Length))
            yield return Segments.Of(input, [split]);
    }

    private static IEnumerable<int> SplitPoints(int length)
    {
        if (length <= 160)
            return Enumerable.Range(1, length - 1);
        var points = new SortedSet<int>();
        for (var i = 1; i <= 64; i++)
        {
            points.Add(i);
            points.Add(length - i);
        }
        for (var i = 1; i <= 32; i++)
            points.Add((int)((long)length * i / 33));
        return points;
    }
}

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe hands over bytes that came in pieces.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary><paramref name="input"/> cut before each of <paramref name="cuts"/> (ascending, inside the input).</summary>
    public static ReadOnlySequence<byte> Of(byte[] input, IEnumerable<int> cuts)
    {
        var start = 0;
        Segments? first = null, last = null;
        foreach (var cut in cuts.Append(input.Length))
        {
            // Each segment gets its own array, so a parser that reads past a segment's end reads nothing it should not.
            var next = new Segments(input.AsSpan(start, cut - start).ToArray(), start);
            if (last is null)
                first = next;
            else
                last.Next = next;
            last = next;
            start = cut;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }
}
