using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using BcChaCha20Poly1305 = Org.BouncyCastle.Crypto.Modes.ChaCha20Poly1305;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// The raw ChaCha20-Poly1305 AEAD (RFC 8439) with a caller-supplied 12-byte nonce. It is the one
/// place that touches the primitive, so the Wycheproof vectors run through exactly the code the
/// sessions use. The platform implementation is used when the OS provides it (no allocation per
/// call); BouncyCastle otherwise.
/// </summary>
internal sealed class ChaCha20Poly1305Aead : IAead
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private readonly ChaCha20Poly1305? _platform;
    // Pinned so the GC never leaves an unwiped copy behind when it compacts; zeroed on Dispose.
    private readonly byte[]? _managedKey;
    private bool _disposed;

    public ChaCha20Poly1305Aead(ReadOnlySpan<byte> key, bool forceManaged = false)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"A ChaCha20-Poly1305 key is {KeySize} bytes.", nameof(key));
        if (ChaCha20Poly1305.IsSupported && !forceManaged)
        {
            _platform = new ChaCha20Poly1305(key);
        }
        else
        {
            _managedKey = GC.AllocateUninitializedArray<byte>(KeySize, pinned: true);
            key.CopyTo(_managedKey);
        }
    }

    /// <summary>True when this instance runs on BouncyCastle rather than the platform.</summary>
    public bool IsManaged => _managedKey is not null;

    int IAead.TagSize => TagSize;

    int IAead.NonceSize => NonceSize;

    /// <summary>Writes ciphertext then tag into <paramref name="destination"/> (plaintext + 16 bytes at least).</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        if (destination.Length < plaintext.Length + TagSize)
            throw new ArgumentException("The destination must hold the plaintext plus the 16-byte tag.", nameof(destination));
        destination = destination[..(plaintext.Length + TagSize)];

        if (_platform is not null)
        {
            _platform.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination[plaintext.Length..], associatedData);
            return;
        }

        var cipher = CreateManaged(forEncryption: true, nonce);
        cipher.ProcessAadBytes(associatedData);
        var written = cipher.ProcessBytes(plaintext, destination);
        cipher.DoFinal(destination[written..]);
    }

    /// <summary>
    /// Checks the tag and decrypts <paramref name="ciphertext"/> (ciphertext then tag) into <paramref name="destination"/>
    /// (ciphertext - 16 bytes at least). False, with the destination cleared, when the tag is wrong or the input shorter than a tag.
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
        destination = destination[..plaintextLength];

        if (_platform is not null)
        {
            try
            {
                _platform.Decrypt(nonce, ciphertext[..plaintextLength], ciphertext[plaintextLength..], destination, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                // .NET has no non-throwing decrypt; it already cleared the plaintext, clear again to be explicit.
                CryptographicOperations.ZeroMemory(destination);
                return false;
            }
        }

        var cipher = CreateManaged(forEncryption: false, nonce);
        cipher.ProcessAadBytes(associatedData);
        // BouncyCastle buffers the last 16 bytes as the tag and only releases plaintext once it verifies.
        var scratch = new byte[plaintextLength];
        try
        {
            var written = cipher.ProcessBytes(ciphertext, scratch);
            cipher.DoFinal(scratch.AsSpan(written));
            scratch.CopyTo(destination);
            return true;
        }
        catch (Org.BouncyCastle.Crypto.InvalidCipherTextException)
        {
            destination.Clear();
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scratch);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _platform?.Dispose();
        if (_managedKey is not null)
            CryptographicOperations.ZeroMemory(_managedKey);
    }

    private BcChaCha20Poly1305 CreateManaged(bool forEncryption, ReadOnlySpan<byte> nonce)
    {
        var cipher = new BcChaCha20Poly1305();
        cipher.Init(forEncryption, new ParametersWithIV(new KeyParameter(_managedKey!), nonce));
        return cipher;
    }

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
            ThrowBadNonce();
    }

    [DoesNotReturn]
    private static void ThrowBadNonce() =>
        throw new ArgumentException($"A ChaCha20-Poly1305 nonce is {NonceSize} bytes.", "nonce");
}
