using System.Buffers.Binary;

namespace SecretChat.Security.Ciphers;

/// <summary>
/// One direction of a session sealed with a 12-byte-nonce AEAD: Noise's CipherState over ChaChaPoly or AESGCM
/// (rev 34, §12). The nonce is four zero bytes then the 64-bit counter, little-endian for ChaChaPoly and
/// big-endian for AESGCM. Sealing and opening allocate nothing. Disposing wipes the key.
/// </summary>
public abstract class AeadCipherState : CipherState
{
    private readonly Aead _aead;
    private readonly bool _bigEndianCounter;

    private protected AeadCipherState(Aead aead, bool bigEndianCounter)
    {
        _aead = aead;
        _bigEndianCounter = bigEndianCounter;
    }

    /// <inheritdoc/>
    public sealed override int TagSize => Aead.TagSize;

    /// <inheritdoc/>
    protected sealed override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonceBytes = stackalloc byte[Aead.NonceSize];
        WriteNonce(nonce, _bigEndianCounter, nonceBytes);
        _aead.Seal(nonceBytes, associatedData, plaintext, destination);
    }

    /// <inheritdoc/>
    protected sealed override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        Span<byte> nonceBytes = stackalloc byte[Aead.NonceSize];
        WriteNonce(nonce, _bigEndianCounter, nonceBytes);
        return _aead.TryOpen(nonceBytes, associatedData, ciphertext, destination);
    }

    /// <inheritdoc/>
    public sealed override void Dispose() => _aead.Dispose();

    internal static void WriteNonce(ulong counter, bool bigEndianCounter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        if (bigEndianCounter)
            BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
        else
            BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
