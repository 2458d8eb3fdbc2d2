namespace SecretChat.Security;

/// <summary>The size limits of protocol 2's sealed messages, for every transport.</summary>
public static class TransportLimits
{
    /// <summary>
    /// The largest transport message on the wire, plaintext plus tag: Noise's cap (§3), which other Noise libraries
    /// enforce when they write and read. Protocol 1 sent and accepted one byte more.
    /// </summary>
    public const int MaxSealedMessageSize = 65535;

    /// <summary>The tag every mode with a cipher adds (16 bytes for ChaCha20-Poly1305 and AES-GCM).</summary>
    public const int TagSize = 16;

    /// <summary>The largest plaintext message a secure channel carries, on TCP and UDP alike: 65,519 bytes.</summary>
    public const int MaxMessageSize = MaxSealedMessageSize - TagSize;
}
