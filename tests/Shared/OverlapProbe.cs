using System.Diagnostics;

namespace SecretChat.Tests;

/// <summary>
/// Stands in for an observer or callback and counts the calls that came while another call was still inside: what
/// Rx's contract (one stream's notifications never overlap) and a serialized callback forbid. Each call stays inside
/// for a moment, so that two notifications pushed at once from two threads meet here instead of slipping past.
/// </summary>
public sealed class OverlapProbe
{
    private static readonly TimeSpan Inside = TimeSpan.FromMilliseconds(1);

    private int _inside;
    private int _overlaps;
    private int _calls;

    /// <summary>Calls that found another call still inside.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    /// <summary>Calls so far (counted as each leaves).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>One call: enters, stays a moment (spinning, not sleeping: a sleeping thread would let the pool run another), leaves.</summary>
    public void Enter()
    {
        if (Interlocked.Increment(ref _inside) > 1)
            Interlocked.Increment(ref _overlaps);
        var since = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(since) < Inside)
            Thread.SpinWait(64);
        Interlocked.Decrement(ref _inside);
        Interlocked.Increment(ref _calls);
    }
}
