using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace SecretChat.Transport.Stun;

/// <summary>The 96-bit transaction id that pairs a STUN response with its request; random, so an off-path attacker cannot guess it.</summary>
public readonly record struct StunTransactionId
{
    public const int Length = 12;

    private readonly ulong _high;
    private readonly uint _low;

    private StunTransactionId(ulong high, uint low)
    {
        _high = high;
        _low = low;
    }

    public static StunTransactionId New()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    public static StunTransactionId Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
            throw new ArgumentException($"A transaction id is {Length} bytes.", nameof(bytes));
        return new StunTransactionId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], _low);
    }

    public override string ToString() =>
        _high.ToString("x16", CultureInfo.InvariantCulture) + _low.ToString("x8", CultureInfo.InvariantCulture);
}
