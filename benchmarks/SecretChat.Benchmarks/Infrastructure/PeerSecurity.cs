using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>The security module each side of a benchmark pair uses, per mode; owns the long-term keys.</summary>
public sealed class PeerSecurity : IDisposable
{
    private readonly StaticKeyPair _initiatorIdentity = StaticKeyPair.Generate();
    private readonly StaticKeyPair _responderIdentity = StaticKeyPair.Generate();

    // Every rsa handshake consumes one fresh RSA-2048 key from this pool (the product's behaviour).
    private readonly RsaKeyPool _rsaKeys = new();

    public (ISecurityModule Initiator, ISecurityModule Responder) For(SecurityModuleInfo mode) => mode.Id switch
    {
        "noise" => (new NoiseSecurity(_initiatorIdentity), new NoiseSecurity(_responderIdentity)),
        "rsa" => (new RsaSecurity(_rsaKeys), new RsaSecurity(_rsaKeys)),
        "pseudo" => (new PseudoSecurity(), new PseudoSecurity()),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>
    /// noise with ChaChaPoly whatever the CPU: the suite a peer without AES instructions gets (where both accelerate AES,
    /// <see cref="For"/>'s noise runs Noise_XX_25519_AESGCM_SHA256).
    /// </summary>
    public (ISecurityModule Initiator, ISecurityModule Responder) NoiseChaChaPoly() =>
        (new NoiseSecurity(_initiatorIdentity) { AesGcm = false }, new NoiseSecurity(_responderIdentity) { AesGcm = false });

    /// <summary>noise with the post-quantum hybrid: the initiator starts Noise_XXhfs_25519+MLKEM768 (the chat's default).</summary>
    public (ISecurityModule Initiator, ISecurityModule Responder) Hybrid() =>
        (new NoiseSecurity(_initiatorIdentity, postQuantum: true), new NoiseSecurity(_responderIdentity));

    /// <summary>Waits until the rsa key pool is full, so setup does not race the first handshake.</summary>
    public Task WarmAsync() => _rsaKeys.WarmAsync();

    public void Dispose()
    {
        _rsaKeys.Dispose();
        _initiatorIdentity.Dispose();
        _responderIdentity.Dispose();
    }
}
