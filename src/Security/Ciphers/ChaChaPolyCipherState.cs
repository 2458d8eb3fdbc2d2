namespace SecretChat.Security.Ciphers;

/// <summary>
/// One direction of a session sealed with ChaCha20-Poly1305: Noise's ChaChaPoly (rev 34, §12.3), whose nonce is
/// four zero bytes followed by the 64-bit counter in little-endian order. The noise mode's cipher. Allocation-free
/// on the platform implementation.
/// </summary>
public sealed class ChaChaPolyCipherState : AeadCipherState
{
    /// <summary>Bytes in a ChaCha20-Poly1305 key.</summary>
    public const int KeySize = ChaCha20Poly1305Aead.KeySize;

    /// <summary>One direction of a session sealed with ChaCha20-Poly1305 under <paramref name="key"/>, from nonce 0.</summary>
    /// <param name="key">32 bytes; copied, so the caller may wipe its own copy at once.</param>
    public ChaChaPolyCipherState(ReadOnlySpan<byte> key)
        : this(key, forceManaged: false)
    {
    }

    internal ChaChaPolyCipherState(ReadOnlySpan<byte> key, bool forceManaged)
        : base(CreateAead(key, forceManaged), bigEndianCounter: false)
    {
    }

    private static ChaCha20Poly1305Aead CreateAead(ReadOnlySpan<byte> key, bool forceManaged)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"A ChaChaPoly key is {KeySize} bytes.", nameof(key));
        return new ChaCha20Poly1305Aead(key, forceManaged);
    }
}
