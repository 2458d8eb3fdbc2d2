using System.Security.Cryptography;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// HKDF with HMAC-SHA-256 (RFC 5869), over .NET's <see cref="HKDF"/>: the one HKDF every key schedule (Noise's
/// SymmetricState, the rsa mode's) and the vectors share.
/// </summary>
internal static class HkdfSha256
{
    public const int HashSize = 32;

    /// <summary>RFC 5869 §2.3: at most 255 blocks of output.</summary>
    public const int MaxOutputSize = 255 * HashSize;

    /// <summary>Extract then expand into <paramref name="output"/> (1 to 8160 bytes).</summary>
    public static void DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output)
    {
        CheckOutput(output);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, output, salt, info);
    }

    /// <summary>
    /// HKDF-Extract: writes the 32-byte pseudorandom key, HMAC-SHA-256(salt, ikm). An empty salt means 32 zero bytes
    /// (RFC 5869), which HMAC's zero padding of the key gives by itself. Noise's HKDF is this with the chaining key as
    /// the salt, followed by <see cref="Expand"/> with an empty info.
    /// </summary>
    public static void Extract(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, Span<byte> pseudorandomKey)
    {
        if (pseudorandomKey.Length != HashSize)
            throw new ArgumentException("The pseudorandom key is 32 bytes long.", nameof(pseudorandomKey));
        // HMAC directly rather than HKDF.Extract: on Linux the platform's extract goes to OpenSSL, which refuses an
        // empty input key material, and Noise's Split extracts from exactly that.
        HMACSHA256.HashData(salt, inputKeyMaterial, pseudorandomKey);
    }

    /// <summary>HKDF-Expand from a 32-byte pseudorandom key.</summary>
    public static void Expand(ReadOnlySpan<byte> pseudorandomKey, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (pseudorandomKey.Length != HashSize)
            throw new ArgumentException("The pseudorandom key is 32 bytes long.", nameof(pseudorandomKey));
        CheckOutput(output);
        HKDF.Expand(HashAlgorithmName.SHA256, pseudorandomKey, output, info);
    }

    private static void CheckOutput(Span<byte> output)
    {
        if (output.Length is < 1 or > MaxOutputSize)
            throw new ArgumentOutOfRangeException(nameof(output), output.Length, "HKDF-SHA-256 produces 1 to 8160 bytes.");
    }
}
