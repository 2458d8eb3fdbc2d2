using System.Security.Cryptography;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Identity;

/// <summary>
/// A long-term X25519 identity key pair. The public key is what peers pin and fingerprint; the
/// private key stays inside the assembly, never appears in <see cref="ToString"/>, and is wiped on
/// <see cref="Dispose"/>.
/// </summary>
public sealed class StaticKeyPair : IDisposable
{
    public const int KeySize = X25519Dh.KeySize;

    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private StaticKeyPair(byte[] privateKey)
    {
        _privateKey = privateKey;
        _publicKey = new byte[KeySize];
        X25519Dh.DerivePublicKey(_privateKey, _publicKey);
    }

    /// <summary>A fresh key pair from the system's CSPRNG.</summary>
    public static StaticKeyPair Generate()
    {
        var privateKey = new byte[KeySize];
        X25519Dh.GeneratePrivateKey(privateKey);
        return new StaticKeyPair(privateKey);
    }

    /// <summary>Rebuilds a key pair from its 32-byte private key (the input is copied; the caller may wipe it).</summary>
    public static StaticKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
            throw new ArgumentException($"An X25519 private key is {KeySize} bytes.", nameof(privateKey));
        return new StaticKeyPair(privateKey.ToArray());
    }

    /// <summary>The 32-byte X25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The private key, for the handshake and the identity file only.</summary>
    internal ReadOnlySpan<byte> PrivateKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _privateKey;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_privateKey);
    }

    /// <summary>Shows the public key only.</summary>
    public override string ToString() => $"X25519 identity {Convert.ToHexStringLower(_publicKey)}";
}
