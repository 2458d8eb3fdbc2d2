using System.Buffers;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Identity;

namespace SecretChat.Security.Noise;

/// <summary>
/// The default security mode: Noise_XX_25519_ChaChaPoly_SHA256 with this user's long-term
/// identity key, or, when the initiator is post-quantum, its hybrid Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256
/// (an ML-KEM-768 exchange mixed into the chaining key); either with AESGCM instead of ChaChaPoly where both CPUs
/// accelerate AES (<see cref="NoiseXXHandshake"/>). Both sides prove their static keys; the session carries the
/// peer's key so the app can pin it and show a safety number, and says whether it is post-quantum and which protocol
/// name it ran (<see cref="SecureSession.ProtocolName"/>).
/// </summary>
public sealed class NoiseSecurity : ISecurityModule
{
    /// <summary>
    /// The Noise protocol name (§8), which also seeds the handshake hash: the classic pattern under ChaChaPoly (the
    /// AESGCM name replaces the cipher where both sides accelerate AES; a session says which it ran in <see cref="SecureSession.ProtocolName"/>).
    /// </summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    /// <summary>The hybrid's Noise protocol name: XX with the KEM form of hybrid forward secrecy, ML-KEM-768.</summary>
    public const string HybridProtocolName = "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256";

    /// <summary>
    /// The capability a side lists in its greeting when it starts handshakes in the hybrid (protocol 2, §3.6). The
    /// greeting travels encrypted inside the handshake, so a peer that lists it in a classic session reveals a man in
    /// the middle who stripped the hybrid's first message (<see cref="HandshakeTranscript"/> fails such a handshake).
    /// </summary>
    public const string PostQuantumCapability = "pq-mlkem768";

    /// <summary>The largest Noise message (§3).</summary>
    public const int MaxMessageLength = 65535;

    private readonly StaticKeyPair _localKeyPair;
    private readonly Func<byte[]>? _ephemeralKeys;
    private readonly Func<(byte[] Seed, byte[] Randomness)>? _kemKeys;

    /// <summary>A classic module: its initiators run <see cref="ProtocolName"/>; its responders answer either pattern.</summary>
    /// <param name="localKeyPair">This side's identity; it must outlive the handshakes created here (the caller keeps ownership).</param>
    public NoiseSecurity(StaticKeyPair localKeyPair)
        : this(localKeyPair, postQuantum: false)
    {
    }

    /// <summary>A module whose initiators run the hybrid <see cref="HybridProtocolName"/> when <paramref name="postQuantum"/> is true.</summary>
    /// <param name="localKeyPair">This side's identity; it must outlive the handshakes created here (the caller keeps ownership).</param>
    /// <param name="postQuantum">True: initiate in the hybrid (a responder must then answer in it, or the handshake fails).</param>
    public NoiseSecurity(StaticKeyPair localKeyPair, bool postQuantum)
    {
        ArgumentNullException.ThrowIfNull(localKeyPair);
        _localKeyPair = localKeyPair;
        IsPostQuantum = postQuantum;
    }

    /// <summary>True when this module's initiators run the hybrid (responders answer either pattern anyway).</summary>
    public bool IsPostQuantum { get; }

    /// <summary>
    /// True where this CPU accelerates AES-GCM: initiators then run the AESGCM suite (<c>Noise_XX_25519_AESGCM_SHA256</c>)
    /// and offer it in message 1, and responders follow such an offer; ChaChaPoly otherwise (<see cref="NoiseXXHandshake"/>).
    /// False in the transcript-vector seams, whose bytes are ChaChaPoly's on every machine; tests and benchmarks set it.
    /// </summary>
    internal bool AesGcm { get; init; } = SodiumAes256Gcm.IsAvailable;

    /// <summary>The module's identity: id <c>noise</c>, confidential, authenticates the peer, has a fingerprint.</summary>
    public static SecurityModuleInfo Descriptor { get; } = new(
        "noise",
        "Noise XX (X25519, AES-256-GCM or ChaCha20-Poly1305, SHA-256)",
        SecurityCapabilities.Confidential | SecurityCapabilities.AuthenticatesPeer | SecurityCapabilities.HasFingerprint);

    /// <inheritdoc />
    public SecurityModuleInfo Info => Descriptor;

    /// <summary>Test seam (transcript vectors): every handshake takes its ephemeral private key from <paramref name="ephemeralKeys"/>.</summary>
    internal NoiseSecurity(StaticKeyPair localKeyPair, Func<byte[]> ephemeralKeys)
        : this(localKeyPair)
    {
        ArgumentNullException.ThrowIfNull(ephemeralKeys);
        _ephemeralKeys = ephemeralKeys;
        AesGcm = false;
    }

    /// <summary>Test seam (hybrid transcript vectors): fixed ephemeral keys, ML-KEM seeds and encapsulation randomness.</summary>
    internal NoiseSecurity(StaticKeyPair localKeyPair, Func<byte[]> ephemeralKeys, Func<(byte[] Seed, byte[] Randomness)> kemKeys)
        : this(localKeyPair, postQuantum: true)
    {
        ArgumentNullException.ThrowIfNull(ephemeralKeys);
        ArgumentNullException.ThrowIfNull(kemKeys);
        _ephemeralKeys = ephemeralKeys;
        _kemKeys = kemKeys;
        AesGcm = false;
    }

    /// <inheritdoc/>
    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
    {
        if (role is not (HandshakeRole.Initiator or HandshakeRole.Responder))
            throw new ArgumentOutOfRangeException(nameof(role), role, "The role must be Initiator or Responder.");
        var (kemSeed, kemRandomness) = _kemKeys is null ? (null, null) : _kemKeys();
        return new NoiseXXHandshake(
            role, prologue, _localKeyPair.PrivateKey, _localKeyPair.PublicKey.ToArray(), _ephemeralKeys is null ? default : _ephemeralKeys(),
            IsPostQuantum, kemSeed, kemRandomness, AesGcm);
    }

    /// <summary>
    /// Runs one throwaway handshake in memory, both roles, with a throwaway key, then seals and opens one message each
    /// way: what the first real handshake would otherwise compile on the way (the managed ML-KEM, the handshake state
    /// machine, the cipher suite's set-up). In a fresh process that is tens of milliseconds of JIT on a quiet machine
    /// and several times that on a busy one, on the critical path of both peers. A chat runs this while it waits for its
    /// peer (p2p); nothing here touches an identity key or the network.
    /// </summary>
    /// <param name="postQuantum">Warm the hybrid as well (what a post-quantum initiator runs).</param>
    public static void WarmUp(bool postQuantum)
    {
        using var key = StaticKeyPair.Generate();
        var module = new NoiseSecurity(key, postQuantum);
        using var initiator = module.CreateHandshake(HandshakeRole.Initiator, "warm-up"u8);
        using var responder = module.CreateHandshake(HandshakeRole.Responder, "warm-up"u8);
        var message = new ArrayBufferWriter<byte>();
        while (initiator.Status != HandshakeStatus.Complete || responder.Status != HandshakeStatus.Complete)
        {
            var (writer, reader) = initiator.Status == HandshakeStatus.MustWrite ? (initiator, responder) : (responder, initiator);
            message.ResetWrittenCount();
            writer.WriteMessage(message);
            reader.ReadMessage(message.WrittenSpan);
        }
        using var sending = initiator.Split();
        using var receiving = responder.Split();
        Span<byte> plain = stackalloc byte[16];
        Span<byte> sealedBytes = stackalloc byte[16 + sending.Sender.TagSize];
        sending.Sender.Seal(default, plain, sealedBytes);
        if (!receiving.Receiver.TryOpen(default, sealedBytes, plain))
            throw new InvalidOperationException("The warm-up handshake's keys do not match.");
    }

    /// <summary>Test seam: a handshake with a fixed ephemeral key (ChaChaPoly, whatever the CPU: the vectors are fixed).</summary>
    internal IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralPrivateKey) =>
        new NoiseXXHandshake(role, prologue, _localKeyPair.PrivateKey, _localKeyPair.PublicKey.ToArray(), ephemeralPrivateKey, IsPostQuantum);
}
