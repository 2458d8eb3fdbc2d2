using System.Buffers.Binary;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// One direction of a session sealed with AES-256-GCM (16-byte tag). The 12-byte nonce is four zero bytes
/// followed by the 64-bit counter in big-endian order, as in Noise's AESGCM. Sealing and opening allocate nothing.
/// Disposing wipes the key.
/// </summary>
public sealed class AesGcmCipherState : CipherState
{
    /// <summary>AES-256: the key is 32 bytes.</summary>
    public const int KeySize = 32;

    private readonly AesGcmAead _aead;

    /// <param name="key">32 bytes; copied, so the caller may wipe its own copy at once.</param>
    public AesGcmCipherState(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException("An AES-256-GCM key is 32 bytes long.", nameof(key));
        _aead = new AesGcmAead(key);
    }

    public override int TagSize => AesGcmAead.TagSize;

    internal ReadOnlyMemory<byte> KeyMaterial => _aead.KeyMaterial;

    protected override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonceBytes = stackalloc byte[AesGcmAead.NonceSize];
        WriteNonce(nonce, nonceBytes);
        _aead.Seal(nonceBytes, associatedData, plaintext, destination);
    }

    protected override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        Span<byte> nonceBytes = stackalloc byte[AesGcmAead.NonceSize];
        WriteNonce(nonce, nonceBytes);
        return _aead.TryOpen(nonceBytes, associatedData, ciphertext, destination);
    }

    public override void Dispose() => _aead.Dispose();

    internal static void WriteNonce(ulong counter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}
