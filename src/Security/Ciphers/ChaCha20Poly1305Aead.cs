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
internal sealed class ChaCha20Poly1305Aead : Aead
{
    public const int KeySize = 32;

    private readonly ChaCha20Poly1305? _platform;
    // Pinned so the GC never leaves an unwiped copy behind when it compacts; zeroed on Dispose.
    private readonly byte[]? _managedKey;

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

    protected override void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput)
    {
        if (_platform is not null)
        {
            _platform.Encrypt(nonce, plaintext, sealedOutput[..plaintext.Length], sealedOutput[plaintext.Length..], associatedData);
            return;
        }

        var cipher = CreateManaged(forEncryption: true, nonce);
        cipher.ProcessAadBytes(associatedData);
        var written = cipher.ProcessBytes(plaintext, sealedOutput);
        cipher.DoFinal(sealedOutput[written..]);
    }

    protected override bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        if (_platform is not null)
        {
            try
            {
                _platform.Decrypt(nonce, sealedInput[..plaintext.Length], sealedInput[plaintext.Length..], plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                // .NET has no non-throwing decrypt.
                return false;
            }
        }

        var cipher = CreateManaged(forEncryption: false, nonce);
        cipher.ProcessAadBytes(associatedData);
        // BouncyCastle buffers the last 16 bytes as the tag and only releases plaintext once it verifies.
        var scratch = new byte[plaintext.Length];
        try
        {
            var written = cipher.ProcessBytes(sealedInput, scratch);
            cipher.DoFinal(scratch.AsSpan(written));
            scratch.CopyTo(plaintext);
            return true;
        }
        catch (Org.BouncyCastle.Crypto.InvalidCipherTextException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scratch);
        }
    }

    protected override void DisposeKey()
    {
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
}
