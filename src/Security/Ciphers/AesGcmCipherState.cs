namespace SecretChat.Security.Ciphers;

/// <summary>
/// One direction of a session sealed with AES-256-GCM (16-byte tag): Noise's AESGCM, whose nonce is four zero
/// bytes followed by the 64-bit counter in big-endian order. The rsa mode's cipher.
/// </summary>
public sealed class AesGcmCipherState : AeadCipherState
{
    /// <summary>AES-256: the key is 32 bytes.</summary>
    public const int KeySize = 32;

    /// <summary>One direction of a session sealed with AES-256-GCM under <paramref name="key"/>, from nonce 0.</summary>
    /// <param name="key">32 bytes; copied, so the caller may wipe its own copy at once.</param>
    public AesGcmCipherState(ReadOnlySpan<byte> key)
        : this(CreateAead(key))
    {
    }

    private readonly AesGcmAead _aead;

    private AesGcmCipherState(AesGcmAead aead)
        : base(aead, bigEndianCounter: true)
    {
        _aead = aead;
    }

    internal ReadOnlyMemory<byte> KeyMaterial => _aead.KeyMaterial;

    private static AesGcmAead CreateAead(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException("An AES-256-GCM key is 32 bytes long.", nameof(key));
        return new AesGcmAead(key);
    }
}
