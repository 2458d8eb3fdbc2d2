using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SecretChat.Security.Identity;

/// <summary>
/// Signal's displayable safety number (libsignal <c>fingerprint.rs</c>, version 0 hashing): for each
/// party, buf = SHA-512(0x0000 || key || identifier || key), then 5199 more rounds of
/// buf = SHA-512(buf || key), where key is the 33-byte 0x05-prefixed Curve25519 public key. The first
/// 30 bytes give six 5-digit groups; the two 30-digit halves are joined in ascending order, so both
/// sides show the same 60 digits.
/// </summary>
public sealed class SafetyNumber : IEquatable<SafetyNumber>
{
    /// <summary>SHA-512 iterations per key, as Signal's numeric fingerprint uses.</summary>
    public const int Iterations = 5200;
    /// <summary>Decimal digits in a safety number: two halves of 30.</summary>
    public const int DigitCount = 60;

    private const byte DjbKeyType = 0x05;

    private SafetyNumber(string digits) => Digits = digits;

    /// <summary>The 60 digits with no separators.</summary>
    public string Digits { get; }

    /// <summary>
    /// Computes the safety number between two parties. Keys are 32-byte X25519 public keys, or
    /// 33 bytes already carrying Signal's 0x05 type prefix. The result does not depend on which
    /// side is "local".
    /// </summary>
    public static SafetyNumber Compute(
        ReadOnlySpan<byte> localIdentifier,
        ReadOnlySpan<byte> localKey,
        ReadOnlySpan<byte> remoteIdentifier,
        ReadOnlySpan<byte> remoteKey)
    {
        var local = DisplayableHalf(localIdentifier, EncodeKey(localKey, nameof(localKey)));
        var remote = DisplayableHalf(remoteIdentifier, EncodeKey(remoteKey, nameof(remoteKey)));
        return new SafetyNumber(string.CompareOrdinal(local, remote) <= 0 ? local + remote : remote + local);
    }

    /// <summary>
    /// The safety number of a Noise session, for the app. Each side's identifier is its own 32-byte
    /// public key: peer names are chosen by users and not authenticated, so they must not influence
    /// what is compared; the key is the only identity both sides agree on.
    /// </summary>
    public static SafetyNumber ForSession(ReadOnlySpan<byte> localStaticKey, ReadOnlySpan<byte> remoteStaticKey) =>
        Compute(localStaticKey, localStaticKey, remoteStaticKey, remoteStaticKey);

    /// <summary>True when <paramref name="text"/> is this number, ignoring spaces and other separators a user may type.</summary>
    public bool Matches(string? text)
    {
        if (text is null)
            return false;
        var digits = new StringBuilder(DigitCount);
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
                digits.Append(c);
            else if (!char.IsWhiteSpace(c) && c is not ('-' or '.'))
                return false;
        }
        return digits.ToString() == Digits;
    }

    /// <summary>Twelve groups of five digits separated by spaces, as shown to users.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(DigitCount + 11);
        for (var i = 0; i < DigitCount; i += 5)
        {
            if (i > 0)
                builder.Append(' ');
            builder.Append(Digits, i, 5);
        }
        return builder.ToString();
    }

    /// <summary>Whether <paramref name="other"/> has the same digits.</summary>
    public bool Equals(SafetyNumber? other) => other is not null && other.Digits == Digits;

    /// <summary>Whether <paramref name="obj"/> is a safety number with the same digits.</summary>
    public override bool Equals(object? obj) => Equals(obj as SafetyNumber);

    /// <summary>A hash of the digits.</summary>
    public override int GetHashCode() => Digits.GetHashCode(StringComparison.Ordinal);

    internal static byte[] IteratedHash(ReadOnlySpan<byte> identifier, ReadOnlySpan<byte> encodedKey, int iterations = Iterations)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var buffer = new byte[64];
        hash.AppendData([0, 0]);
        hash.AppendData(encodedKey);
        hash.AppendData(identifier);
        hash.AppendData(encodedKey);
        hash.GetHashAndReset(buffer);
        for (var i = 1; i < iterations; i++)
        {
            hash.AppendData(buffer);
            hash.AppendData(encodedKey);
            hash.GetHashAndReset(buffer);
        }
        return buffer;
    }

    internal static byte[] EncodeKey(ReadOnlySpan<byte> key, string parameterName)
    {
        if (key.Length == 32)
            return [DjbKeyType, .. key];
        if (key.Length == 33 && key[0] == DjbKeyType)
            return key.ToArray();
        throw new ArgumentException("A key must be a 32-byte X25519 public key or 33 bytes starting with 0x05.", parameterName);
    }

    private static string DisplayableHalf(ReadOnlySpan<byte> identifier, byte[] encodedKey)
    {
        var hash = IteratedHash(identifier, encodedKey);
        var builder = new StringBuilder(30);
        Span<byte> chunk = stackalloc byte[8];
        for (var offset = 0; offset < 30; offset += 5)
        {
            // Five bytes as a big-endian integer, reduced mod 100000.
            chunk.Clear();
            hash.AsSpan(offset, 5).CopyTo(chunk[3..]);
            var value = BinaryPrimitives.ReadUInt64BigEndian(chunk) % 100_000;
            builder.Append(value.ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
