using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace SecretChat.Transport.Stun;

/// <summary>The 96-bit transaction id that pairs a STUN response with its request; random, so an off-path attacker cannot guess it.</summary>
public readonly record struct StunTransactionId
{
    /// <summary>Bytes in a transaction id on the wire.</summary>
    public const int Length = 12;

    private readonly ulong _high;
    private readonly uint _low;

    private StunTransactionId(ulong high, uint low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>A fresh id from the cryptographic random number generator.</summary>
    public static StunTransactionId New()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    /// <summary>Reads an id from the first <see cref="Length"/> bytes of <paramref name="bytes"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is shorter than <see cref="Length"/>.</exception>
    public static StunTransactionId Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
            throw new ArgumentException($"A transaction id is {Length} bytes.", nameof(bytes));
        return new StunTransactionId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));
    }

    /// <summary>
    /// Writes the id to the first <see cref="Length"/> bytes of <paramref name="destination"/>, which must hold them.
    /// </summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], _low);
    }

    /// <summary>The id as 24 lowercase hexadecimal digits.</summary>
    public override string ToString() =>
        _high.ToString("x16", CultureInfo.InvariantCulture) + _low.ToString("x8", CultureInfo.InvariantCulture);
}
