using System.Security.Cryptography;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// AES-GCM with a 16-byte tag and a 12-byte nonce: the one place the AES-GCM primitive is called, so the
/// Wycheproof vectors exercise exactly the code the cipher states run. Keys may be 16, 24 or 32 bytes here
/// (the vectors use all three); <see cref="AesGcmCipherState"/> insists on 32. A 32-byte key runs on libsodium
/// (<see cref="SodiumAes256Gcm"/>: the key schedule computed once, no per-call set-up) where the CPU accelerates AES,
/// on .NET's <see cref="AesGcm"/> otherwise; both give the same bytes.
/// </summary>
internal sealed class AesGcmAead : Aead
{
    // Pinned so the GC never leaves an unwiped copy behind when it compacts; zeroed on Dispose.
    // (AesGcm keeps its own native copy, which it frees on Dispose.)
    private readonly byte[] _key;
    private readonly AesGcm? _aes;
    private readonly SodiumAes256Gcm? _sodium;

    /// <param name="key">16, 24 or 32 bytes.</param>
    /// <param name="forcePlatform">Test seam: .NET's <see cref="AesGcm"/> even where libsodium could run.</param>
    public AesGcmAead(ReadOnlySpan<byte> key, bool forcePlatform = false)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException("An AES key is 16, 24 or 32 bytes long.", nameof(key));
        _key = GC.AllocateUninitializedArray<byte>(key.Length, pinned: true);
        key.CopyTo(_key);
        if (key.Length == SodiumAes256Gcm.KeySize && SodiumAes256Gcm.IsAvailable && !forcePlatform)
            _sodium = new SodiumAes256Gcm(_key);
        else
            _aes = new AesGcm(_key, TagSize);
    }

    /// <summary>True when this instance runs on libsodium rather than .NET's <see cref="AesGcm"/>.</summary>
    public bool IsSodium => _sodium is not null;

    /// <summary>The key bytes, for tests that check the wipe.</summary>
    internal ReadOnlyMemory<byte> KeyMaterial => _key;

    protected override void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput)
    {
        if (_sodium is not null)
            _sodium.Seal(nonce, associatedData, plaintext, sealedOutput);
        else
            _aes!.Encrypt(nonce, plaintext, sealedOutput[..plaintext.Length], sealedOutput[plaintext.Length..], associatedData);
    }

    protected override bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        if (_sodium is not null)
            return _sodium.TryOpen(nonce, associatedData, sealedInput, plaintext);
        try
        {
            _aes!.Decrypt(nonce, sealedInput[..plaintext.Length], sealedInput[plaintext.Length..], plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // .NET has no non-throwing decrypt.
            return false;
        }
    }

    protected override void DisposeKey()
    {
        _aes?.Dispose();
        _sodium?.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }
}
