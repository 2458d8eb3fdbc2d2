using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// An AEAD with a 12-byte caller-supplied nonce and a 16-byte tag, NSec's shape: <see cref="Seal"/> writes ciphertext
/// then tag, and <see cref="TryOpen"/> returns false (never throws) for a bad tag. Both ciphers here derive from it
/// (the argument checks and disposal live here once), so <see cref="AeadCipherState"/> drives either and the
/// vectors test exactly the code the sessions run.
/// </summary>
internal abstract class Aead : IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private bool _disposed;

    /// <summary>Writes ciphertext then tag into <paramref name="destination"/> (plaintext + 16 bytes at least).</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        if (destination.Length < plaintext.Length + TagSize)
            throw new ArgumentException("The destination must hold the plaintext plus the 16-byte tag.", nameof(destination));
        SealCore(nonce, associatedData, plaintext, destination[..(plaintext.Length + TagSize)]);
    }

    /// <summary>
    /// Checks the tag and decrypts <paramref name="ciphertext"/> (ciphertext then tag) into <paramref name="destination"/>
    /// (ciphertext - 16 bytes at least). False, with the destination cleared, when the tag is wrong or the input
    /// shorter than a tag.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        if (ciphertext.Length < TagSize)
            return false;
        var plaintextLength = ciphertext.Length - TagSize;
        if (destination.Length < plaintextLength)
            throw new ArgumentException("The destination must hold the ciphertext minus the 16-byte tag.", nameof(destination));
        var plaintext = destination[..plaintextLength];
        if (TryOpenCore(nonce, associatedData, ciphertext, plaintext))
            return true;
        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    /// <summary>Wipes the key; idempotent. Afterwards every use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        DisposeKey();
    }

    /// <summary>The primitive, arguments checked: writes ciphertext then tag into <paramref name="sealedOutput"/>, exactly plaintext + 16 bytes.</summary>
    protected abstract void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput);

    /// <summary>
    /// The primitive, arguments checked: <paramref name="sealedInput"/> is ciphertext then tag (16 bytes at least) and
    /// <paramref name="plaintext"/> exactly 16 bytes shorter. False for a bad tag (the caller clears the plaintext).
    /// </summary>
    protected abstract bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext);

    /// <summary>Releases and wipes the key, once.</summary>
    protected abstract void DisposeKey();

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
            ThrowBadNonce();
    }

    [DoesNotReturn]
    private static void ThrowBadNonce() =>
        throw new ArgumentException($"The nonce is exactly {NonceSize} bytes.", "nonce");
}
