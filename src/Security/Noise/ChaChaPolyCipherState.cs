using System.Buffers.Binary;

namespace SecretChat.Security.Noise;

/// <summary>
/// Noise's ChaChaPoly cipher (rev 34, §12.3): ChaCha20-Poly1305 with the 96-bit nonce
/// 4 zero bytes || counter as a little-endian u64. Seal and TryOpen allocate nothing on the
/// platform implementation. Disposing wipes the key.
/// </summary>
public sealed class ChaChaPolyCipherState : CipherState
{
    public const int KeySize = ChaCha20Poly1305Aead.KeySize;

    private readonly ChaCha20Poly1305Aead _aead;

    public ChaChaPolyCipherState(ReadOnlySpan<byte> key)
        : this(key, forceManaged: false)
    {
    }

    internal ChaChaPolyCipherState(ReadOnlySpan<byte> key, bool forceManaged)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"A ChaChaPoly key is {KeySize} bytes.", nameof(key));
        _aead = new ChaCha20Poly1305Aead(key, forceManaged);
    }

    public override int TagSize => ChaCha20Poly1305Aead.TagSize;

    protected override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> iv = stackalloc byte[ChaCha20Poly1305Aead.NonceSize];
        Encode(nonce, iv);
        _aead.Encrypt(iv, plaintext, associatedData, destination);
    }

    protected override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        Span<byte> iv = stackalloc byte[ChaCha20Poly1305Aead.NonceSize];
        Encode(nonce, iv);
        return _aead.TryDecrypt(iv, ciphertext, associatedData, destination);
    }

    public override void Dispose() => _aead.Dispose();

    internal static void Encode(ulong nonce, Span<byte> iv)
    {
        iv[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(iv[4..], nonce);
    }
}
