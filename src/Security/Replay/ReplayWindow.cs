using System.Numerics;

namespace SecretChat.Security.Replay;

/// <summary>What <see cref="ReplayWindow.Check"/> says about a counter.</summary>
public enum ReplayVerdict : byte
{
    /// <summary>Never seen and inside the window (or ahead of it): may be accepted.</summary>
    Fresh = 0,

    /// <summary>Already accepted.</summary>
    Replayed,

    /// <summary>More than the window size behind the highest accepted counter: can no longer be told apart from a replay.</summary>
    TooOld,

    /// <summary>At or past the reject limit: the sender must have re-keyed before using it.</summary>
    BeyondLimit,
}

/// <summary>
/// A sliding anti-replay window over explicit datagram counters (RFC 6479: a ring of 64-bit blocks, so
/// advancing clears whole blocks instead of shifting bits), as in WireGuard.
/// </summary>
/// <remarks>
/// A counter <c>c</c> is accepted once, if <c>c &lt; RejectLimit</c> and either <c>c</c> is above the highest
/// accepted counter or at most <see cref="Size"/> below it. Use it as: open (authenticate) first, then
/// <see cref="TryMark"/>, so an unauthenticated packet never moves the window; <see cref="Check"/> (no
/// mutation) may run before opening to skip useless work. Not thread-safe.
/// </remarks>
public sealed class ReplayWindow
{
    /// <summary>WireGuard's window: a 8192-bit ring minus one block.</summary>
    public const int DefaultSize = 8128;

    /// <summary>WireGuard's RejectAfterMessages, 2^64 - 2^13 - 1: counters from here on are refused.</summary>
    public const ulong DefaultRejectLimit = ulong.MaxValue - (1UL << 13);

    private const int BlockBitLog = 6;
    private const int BlockBits = 1 << BlockBitLog;

    private readonly ulong[] _ring;
    private readonly ulong _blockMask;
    private ulong _last;

    /// <summary>A window that accepts each counter below <paramref name="rejectLimit"/> once, up to <paramref name="size"/> behind the highest.</summary>
    /// <param name="size">How far below the highest accepted counter a counter may still be accepted: 1 to 2^24.</param>
    /// <param name="rejectLimit">The first counter refused outright; not zero.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="rejectLimit"/> is out of range.</exception>
    public ReplayWindow(int size = DefaultSize, ulong rejectLimit = DefaultRejectLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 1 << 24);
        ArgumentOutOfRangeException.ThrowIfZero(rejectLimit);
        Size = size;
        RejectLimit = rejectLimit;
        // Enough blocks that every counter within Size of the highest has its own bit: ceil(Size / 64) + 1,
        // rounded up to a power of two so the ring index is a mask (8128 gives WireGuard's 128 blocks).
        var blocks = BitOperations.RoundUpToPowerOf2((uint)((size + BlockBits - 1) / BlockBits + 1));
        _ring = new ulong[blocks];
        _blockMask = blocks - 1;
    }

    /// <summary>How far below the highest accepted counter a counter may still be accepted.</summary>
    public int Size { get; }

    /// <summary>Counters at or above this are always refused.</summary>
    public ulong RejectLimit { get; }

    /// <summary>The highest accepted counter (0 before any).</summary>
    public ulong Highest => _last;

    /// <summary>Says whether <paramref name="counter"/> would be accepted, without changing anything.</summary>
    public ReplayVerdict Check(ulong counter)
    {
        if (counter >= RejectLimit)
            return ReplayVerdict.BeyondLimit;
        if (counter > _last)
            return ReplayVerdict.Fresh;
        if (_last - counter > (ulong)Size)
            return ReplayVerdict.TooOld;
        return (_ring[(counter >> BlockBitLog) & _blockMask] & Bit(counter)) != 0 ? ReplayVerdict.Replayed : ReplayVerdict.Fresh;
    }

    /// <summary>True when <paramref name="counter"/> would be accepted; changes nothing.</summary>
    public bool TryCheck(ulong counter) => Check(counter) == ReplayVerdict.Fresh;

    /// <summary>Accepts <paramref name="counter"/> (check and mark) or returns false; call it only for authenticated packets.</summary>
    public bool TryMark(ulong counter)
    {
        if (counter >= RejectLimit)
            return false;
        var block = counter >> BlockBitLog;
        if (counter > _last)
        {
            // Clear the blocks the window slides over (at most the whole ring).
            var current = _last >> BlockBitLog;
            var advance = Math.Min(block - current, (ulong)_ring.Length);
            for (var i = 1UL; i <= advance; i++)
                _ring[(current + i) & _blockMask] = 0;
            _last = counter;
        }
        else if (_last - counter > (ulong)Size)
        {
            return false;
        }
        ref var slot = ref _ring[block & _blockMask];
        var before = slot;
        slot |= Bit(counter);
        return slot != before;
    }

    /// <summary>Forgets everything (a new key).</summary>
    public void Reset()
    {
        Array.Clear(_ring);
        _last = 0;
    }

    private static ulong Bit(ulong counter) => 1UL << (int)(counter & (BlockBits - 1));
}
