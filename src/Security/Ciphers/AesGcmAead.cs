using System.Security.Cryptography;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// AES-GCM with a 16-byte tag and a 12-byte nonce: the one place the AEAD primitive is called, so the
/// Wycheproof vectors exercise exactly the code the cipher states run. Keys may be 16, 24 or 32 bytes here
/// (the vectors use all three); <see cref="AesGcmCipherState"/> insists on 32.
/// </summary>
internal sealed class AesGcmAead : IAead
{
    public const int TagSize = 16;
    public const int NonceSize = 12;

    // Pinned so the GC never leaves an unwiped copy behind when it compacts; zeroed on Dispose.
    // (AesGcm keeps its own native copy, which it frees on Dispose.)
    private readonly byte[] _key;
    private readonly AesGcm _aes;
    private bool _disposed;

    public AesGcmAead(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException("An AES key is 16, 24 or 32 bytes long.", nameof(key));
        _key = GC.AllocateUninitializedArray<byte>(key.Length, pinned: true);
        key.CopyTo(_key);
        _aes = new AesGcm(_key, TagSize);
    }

    /// <summary>The key bytes, for tests that check the wipe.</summary>
    internal ReadOnlyMemory<byte> KeyMaterial => _key;

    int IAead.TagSize => TagSize;

    int IAead.NonceSize => NonceSize;

    /// <summary>Writes ciphertext then tag into <paramref name="destination"/> (plaintext + 16 bytes at least).</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        if (destination.Length < plaintext.Length + TagSize)
            throw new ArgumentException("The destination must hold the plaintext plus the 16-byte tag.", nameof(destination));
        _aes.Encrypt(
            nonce,
            plaintext,
            destination[..plaintext.Length],
            destination.Slice(plaintext.Length, TagSize),
            associatedData);
    }

    /// <summary>
    /// Checks the tag and decrypts <paramref name="ciphertext"/> (ciphertext then tag). False, with the
    /// destination cleared, when the tag is wrong or the input shorter than a tag.
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
        try
        {
            _aes.Decrypt(nonce, ciphertext[..plaintextLength], ciphertext[plaintextLength..], plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // .NET has no non-throwing decrypt; it already cleared the plaintext, clear again to be explicit.
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
            throw new ArgumentException("An AES-GCM nonce here is exactly 12 bytes.", nameof(nonce));
    }
}
