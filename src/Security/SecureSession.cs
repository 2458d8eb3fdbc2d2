namespace SecretChat.Security;

/// <summary>
/// What a completed handshake hands over: one cipher state for each direction, plus what the user
/// may want to verify. Disposing it wipes the keys.
/// </summary>
public sealed class SecureSession : IDisposable
{
    /// <summary>A session over two cipher states, which it owns from now on: disposing the session disposes them.</summary>
    /// <param name="module">The module whose handshake made the session.</param>
    /// <param name="sender">Seals what this side sends.</param>
    /// <param name="receiver">Opens what the peer sends.</param>
    /// <param name="handshakeHash">The transcript hash; kept, not copied.</param>
    /// <param name="localStaticKey">This side's long-term public key, or empty; kept, not copied.</param>
    /// <param name="remoteStaticKey">The peer's authenticated long-term public key, or empty; kept, not copied.</param>
    /// <param name="peerGreeting">The name and capabilities the peer sent inside the handshake, when it sent any.</param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/>, <paramref name="sender"/> or <paramref name="receiver"/> is null.</exception>
    public SecureSession(
        SecurityModuleInfo module,
        CipherState sender,
        CipherState receiver,
        ReadOnlyMemory<byte> handshakeHash,
        ReadOnlyMemory<byte> localStaticKey = default,
        ReadOnlyMemory<byte> remoteStaticKey = default,
        HandshakeGreeting? peerGreeting = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(module);
        Module = module;
        Sender = sender;
        Receiver = receiver;
        HandshakeHash = handshakeHash;
        LocalStaticKey = localStaticKey;
        RemoteStaticKey = remoteStaticKey;
        PeerGreeting = peerGreeting ?? HandshakeGreeting.Empty;
    }

    /// <summary>The module whose handshake made this session.</summary>
    public SecurityModuleInfo Module { get; }

    /// <summary>Seals what this side sends.</summary>
    public CipherState Sender { get; }

    /// <summary>Opens what the peer sends.</summary>
    public CipherState Receiver { get; }

    /// <summary>A hash of the whole handshake transcript (channel binding); equal on both sides.</summary>
    public ReadOnlyMemory<byte> HandshakeHash { get; }

    /// <summary>This side's long-term public key, in modes that have one (noise); empty otherwise.</summary>
    public ReadOnlyMemory<byte> LocalStaticKey { get; }

    /// <summary>The peer's authenticated long-term public key, in modes that have one (noise); empty otherwise.</summary>
    public ReadOnlyMemory<byte> RemoteStaticKey { get; }

    /// <summary>
    /// What the peer said about itself inside the handshake (protocol 2): its display name and capabilities.
    /// <see cref="HandshakeGreeting.Empty"/> when the handshake carried none (a bare module handshake).
    /// </summary>
    public HandshakeGreeting PeerGreeting { get; internal set; }

    /// <summary>The protocol version both sides agreed on in their hellos (0 for a session made without hellos).</summary>
    public byte ProtocolVersion { get; internal set; }

    /// <summary>
    /// True when the handshake mixed a post-quantum KEM into the keys (noise's hybrid, ML-KEM-768): what is recorded
    /// now stays confidential against a future quantum computer. Authentication is X25519 either way.
    /// </summary>
    public bool IsPostQuantum { get; init; }

    /// <summary>
    /// The protocol the handshake ran, its cipher included: for noise the Noise protocol name it negotiated
    /// (<c>Noise_XX_25519_AESGCM_SHA256</c> where both sides accelerate AES, <c>Noise_XX_25519_ChaChaPoly_SHA256</c>
    /// otherwise, or the hybrid's <c>Noise_XXhfs_25519+MLKEM768_...</c>), for rsa <see cref="Rsa.RsaSecurity.ProtocolName"/>,
    /// for pseudo <see cref="Pseudo.PseudoSecurity.ProtocolName"/>; the module's identifier when its handshake does not say.
    /// </summary>
    public string ProtocolName
    {
        get => _protocolName ?? Module.Id;
        init => _protocolName = value;
    }

    private readonly string? _protocolName;

    /// <summary>False when the module protects nothing (pseudo): nothing is secret then.</summary>
    public bool IsConfidential => Module.IsConfidential;

    /// <summary>Wipes both cipher states' keys.</summary>
    public void Dispose()
    {
        Sender.Dispose();
        Receiver.Dispose();
    }
}
