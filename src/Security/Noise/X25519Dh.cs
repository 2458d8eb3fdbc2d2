using System.Security.Cryptography;
using Sodium = Geralt.X25519;

namespace SecretChat.Security.Noise;

/// <summary>
/// X25519 (RFC 7748) as Noise's DH function, on libsodium's constant-time implementation (through Geralt) over
/// our own buffers, so private keys live only in memory we wipe. libsodium's scalar multiplication is about twice
/// as fast as the managed one this used before, and the DH operations are most of a handshake's cost.
/// </summary>
internal static class X25519Dh
{
    public const int KeySize = 32;

    public static void GeneratePrivateKey(Span<byte> privateKey)
    {
        CheckSize(privateKey.Length, nameof(privateKey));
        RandomNumberGenerator.Fill(privateKey);
    }

    public static void DerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        CheckSize(privateKey.Length, nameof(privateKey));
        CheckSize(publicKey.Length, nameof(publicKey));
        Sodium.ComputePublicKey(publicKey, privateKey);
    }

    /// <summary>
    /// Computes the shared secret. False when it is all zeros, which happens exactly when the peer's
    /// public key is of low order (or zero): such a "secret" is known to everyone, so we refuse it
    /// (Noise §12.1 allows this) rather than let a peer force a known key.
    /// </summary>
    public static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        CheckSize(privateKey.Length, nameof(privateKey));
        CheckSize(publicKey.Length, nameof(publicKey));
        CheckSize(sharedSecret.Length, nameof(sharedSecret));
        try
        {
            // libsodium refuses an all-zero result (and the small-order points that give it).
            Sodium.ComputeSharedSecret(sharedSecret, privateKey, publicKey);
            return true;
        }
        catch (CryptographicException)
        {
            sharedSecret.Clear();
            return false;
        }
    }

    private static void CheckSize(int length, string name)
    {
        if (length != KeySize)
            throw new ArgumentException($"X25519 keys and secrets are {KeySize} bytes.", name);
    }
}
