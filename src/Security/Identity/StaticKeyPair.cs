using System.Security.Cryptography;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Identity;

/// <summary>
/// A long-term X25519 identity key pair. The public key is what peers pin and fingerprint; the
/// private key stays inside the assembly, never appears in <see cref="ToString"/>, lives in a pinned
/// array (so the GC never leaves a copy behind when it compacts) and is wiped on <see cref="Dispose"/>.
/// Whoever loads or generates a key pair owns it and disposes it; afterwards every use throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class StaticKeyPair : IDisposable
{
    /// <summary>Bytes in each key of the pair (X25519).</summary>
    public const int KeySize = X25519Dh.KeySize;

    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private StaticKeyPair(ReadOnlySpan<byte> privateKey)
    {
        _privateKey = GC.AllocateUninitializedArray<byte>(KeySize, pinned: true);
        privateKey.CopyTo(_privateKey);
        _publicKey = new byte[KeySize];
        X25519Dh.DerivePublicKey(_privateKey, _publicKey);
    }

    /// <summary>A fresh key pair from the system's CSPRNG.</summary>
    public static StaticKeyPair Generate()
    {
        Span<byte> privateKey = stackalloc byte[KeySize];
        try
        {
            X25519Dh.GeneratePrivateKey(privateKey);
            return new StaticKeyPair(privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>Rebuilds a key pair from its 32-byte private key (the input is copied; the caller may wipe it).</summary>
    public static StaticKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
            throw new ArgumentException($"An X25519 private key is {KeySize} bytes.", nameof(privateKey));
        return new StaticKeyPair(privateKey);
    }

    /// <summary>The 32-byte X25519 public key.</summary>
    /// <exception cref="ObjectDisposedException">The key pair has been disposed.</exception>
    public ReadOnlyMemory<byte> PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _publicKey;
        }
    }

    /// <summary>The private key, for the handshake and the identity file only.</summary>
    /// <exception cref="ObjectDisposedException">The key pair has been disposed.</exception>
    internal ReadOnlySpan<byte> PrivateKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _privateKey;
        }
    }

    /// <summary>The private key's storage whatever the state, so tests can see the wipe.</summary>
    internal ReadOnlyMemory<byte> PrivateKeyStorage => _privateKey;

    /// <summary>Wipes the private key; idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_privateKey);
    }

    /// <summary>Shows the public key only.</summary>
    public override string ToString() =>
        _disposed ? "X25519 identity (disposed)" : $"X25519 identity {Convert.ToHexStringLower(_publicKey)}";
}
