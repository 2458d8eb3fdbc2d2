namespace SecretChat.Security.Rsa;

/// <summary>
/// The rsa mode: the original SecretChat design made sound. The responder sends a fresh RSA-2048 public key;
/// the initiator sends a fresh 16-byte session key under RSA-OAEP-SHA256, and both sides prove with a MAC over
/// the whole transcript (prologue included) that they derived the same keys, so a tampered key, ciphertext or
/// prologue (mode or version downgrade) fails the handshake. Sessions use AES-256-GCM, one key per direction.
/// </summary>
/// <remarks>
/// What it does not do: nobody is authenticated (an active man in the middle can run one handshake with each
/// side), and there is no forward secrecy beyond the responder key being used once. Prefer the noise mode.
/// The peer's key must have exactly a 2048-bit modulus and exponent 65537: every key is fresh and made by this
/// code, so anything else is not this protocol.
/// </remarks>
public sealed class RsaSecurity : ISecurityModule
{
    private readonly RsaKeyPool _keyPool;

    /// <summary>Uses the process-wide <see cref="RsaKeyPool.Shared"/> and starts filling it.</summary>
    public RsaSecurity()
        : this(RsaKeyPool.Shared)
    {
    }

    /// <summary>Uses <paramref name="keyPool"/> (owned by the caller) and starts filling it.</summary>
    public RsaSecurity(RsaKeyPool keyPool)
    {
        ArgumentNullException.ThrowIfNull(keyPool);
        _keyPool = keyPool;
        _ = WarmAsync();
    }

    /// <summary>
    /// What its sessions report as <see cref="SecureSession.ProtocolName"/>, in the shape of a Noise name: RSA-2048
    /// OAEP-SHA256 key transport, AES-256-GCM transport ciphers, keys from HKDF-SHA256.
    /// </summary>
    public const string ProtocolName = "RSA2048-OAEP-SHA256_AESGCM_SHA256";

    /// <summary>The module's identity: id <c>rsa</c>, confidential, the peer not authenticated.</summary>
    public static SecurityModuleInfo Descriptor { get; } = new(
        "rsa", "RSA-OAEP key transport with AES-256-GCM", SecurityCapabilities.Confidential);

    /// <inheritdoc />
    public SecurityModuleInfo Info => Descriptor;

    /// <summary>
    /// The pool the responder takes its one-time key pairs from (<see cref="RsaKeyPool.Shared"/> unless another was
    /// given).
    /// </summary>
    public RsaKeyPool KeyPool => _keyPool;

    /// <summary>Fills the key pool in the background; the task completes when it is full.</summary>
    /// <param name="cancellationToken">Stops the wait; the refill itself goes on.</param>
    public Task WarmAsync(CancellationToken cancellationToken = default) => _keyPool.WarmAsync(cancellationToken);

    /// <inheritdoc/>
    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue) => role switch
    {
        HandshakeRole.Initiator => RsaHandshake.CreateInitiator(prologue),
        HandshakeRole.Responder => RsaHandshake.CreateResponder(prologue, _keyPool.Take()),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "The role is neither initiator nor responder."),
    };
}
