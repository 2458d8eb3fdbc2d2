using SecretChat.Security.Identity;

namespace SecretChat.Security.Noise;

/// <summary>
/// The default security mode: Noise_XX_25519_ChaChaPoly_SHA256 with this user's long-term
/// identity key. Both sides prove their static keys; the session carries the peer's key so the
/// app can pin it and show a safety number.
/// </summary>
public sealed class NoiseSecurity : ISecurityModule
{
    /// <summary>The Noise protocol name (§8), which also seeds the handshake hash.</summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    /// <summary>The largest Noise message (§3).</summary>
    public const int MaxMessageLength = 65535;

    private readonly StaticKeyPair _localKeyPair;
    private readonly Func<byte[]>? _ephemeralKeys;

    /// <param name="localKeyPair">This side's identity; it must outlive the handshakes created here (the caller keeps ownership).</param>
    public NoiseSecurity(StaticKeyPair localKeyPair)
    {
        ArgumentNullException.ThrowIfNull(localKeyPair);
        _localKeyPair = localKeyPair;
    }

    /// <summary>The module's identity: id <c>noise</c>, confidential, authenticates the peer, has a fingerprint.</summary>
    public static SecurityModuleInfo Descriptor { get; } = new(
        "noise",
        "Noise XX (X25519, ChaCha20-Poly1305, SHA-256)",
        SecurityCapabilities.Confidential | SecurityCapabilities.AuthenticatesPeer | SecurityCapabilities.HasFingerprint);

    /// <inheritdoc />
    public SecurityModuleInfo Info => Descriptor;

    /// <summary>Test seam (transcript vectors): every handshake takes its ephemeral private key from <paramref name="ephemeralKeys"/>.</summary>
    internal NoiseSecurity(StaticKeyPair localKeyPair, Func<byte[]> ephemeralKeys)
        : this(localKeyPair)
    {
        ArgumentNullException.ThrowIfNull(ephemeralKeys);
        _ephemeralKeys = ephemeralKeys;
    }

    /// <inheritdoc/>
    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
    {
        if (role is not (HandshakeRole.Initiator or HandshakeRole.Responder))
            throw new ArgumentOutOfRangeException(nameof(role), role, "The role must be Initiator or Responder.");
        return new NoiseXXHandshake(role, prologue, _localKeyPair.PrivateKey, _localKeyPair.PublicKey.ToArray(), _ephemeralKeys is null ? default : _ephemeralKeys());
    }

    /// <summary>Test seam: a handshake with a fixed ephemeral key.</summary>
    internal IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralPrivateKey) =>
        new NoiseXXHandshake(role, prologue, _localKeyPair.PrivateKey, _localKeyPair.PublicKey.ToArray(), ephemeralPrivateKey);
}
