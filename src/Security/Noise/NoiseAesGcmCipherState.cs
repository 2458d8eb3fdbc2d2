using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SecretChat.Security.Noise;

/// <summary>
/// Noise's AESGCM cipher (rev 34, §12.4): AES-256-GCM with the nonce 4 zero bytes || counter as a
/// big-endian u64. Internal: it exists so the engine can be checked against the AESGCM vectors; the
/// product protocol is ChaChaPoly only.
/// </summary>
internal sealed class NoiseAesGcmCipherState : CipherState
{
    private readonly AesGcm _aes;

    public NoiseAesGcmCipherState(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
            throw new ArgumentException("A Noise AESGCM key is 32 bytes.", nameof(key));
        _aes = new AesGcm(key, 16);
    }

    public override int TagSize => 16;

    public override void Seal(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (nonce > MaxNonce)
            throw new NonceExhaustedException();
        Span<byte> iv = stackalloc byte[12];
        Encode(nonce, iv);
        _aes.Encrypt(iv, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, 16), associatedData);
    }

    public override bool TryOpen(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (nonce > MaxNonce || ciphertext.Length < 16)
            return false;
        Span<byte> iv = stackalloc byte[12];
        Encode(nonce, iv);
        var length = ciphertext.Length - 16;
        try
        {
            _aes.Decrypt(iv, ciphertext[..length], ciphertext[length..], destination[..length], associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public override void Dispose() => _aes.Dispose();

    private static void Encode(ulong nonce, Span<byte> iv)
    {
        iv[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(iv[4..], nonce);
    }
}
