using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Kem;

namespace SecretChat.Security.Noise;

/// <summary>
/// Noise's HandshakeState (rev 34, §5.3) for DH = 25519 and hash = SHA-256, driven by a
/// <see cref="NoisePattern"/>. Synchronous and I/O-free; any failure leaves it unusable.
/// Ephemeral keys can be injected (test vectors only). Its private keys (copies of the static key, the
/// ephemeral key, the ephemeral ML-KEM seed of a hybrid pattern) live in pinned arrays and are wiped as soon as the
/// handshake is done with them: when it hands over its session (<see cref="Split"/>), fails, or is disposed.
/// A pattern with <see cref="NoiseToken.E1"/> and <see cref="NoiseToken.Ekem1"/> (<see cref="NoisePattern.XXhfs"/>)
/// runs the KEM form of Noise's hybrid forward secrecy with ML-KEM-768, named <c>25519+MLKEM768</c>.
/// </summary>
public sealed class NoiseHandshakeState : IDisposable
{
    private const int DhLength = X25519Dh.KeySize;

    private readonly NoisePattern _pattern;
    private readonly bool _initiator;
    private readonly SymmetricState _symmetric;
    private readonly NoiseCipherFactory _cipherFactory;
    private readonly byte[]? _localStaticPrivate;
    private readonly byte[]? _localStaticPublic;
    private byte[]? _localEphemeralPrivate;
    private byte[]? _localEphemeralPublic;
    private byte[]? _remoteStatic;
    private byte[]? _remoteEphemeral;
    private byte[]? _localKemSeed;
    private byte[]? _localKemPublic;
    private MlKem768PrivateKey? _localKemKey;
    private MlKem768PublicKey? _remoteKemPublic;
    private readonly byte[]? _kemRandomness;
    private int _messageIndex;
    private bool _failed;
    private bool _split;

    /// <summary>Initializes the handshake (§5.3 Initialize) and hashes the prologue and the pattern's pre-messages.</summary>
    /// <param name="pattern">The handshake pattern, for example <see cref="NoisePattern.XX"/>.</param>
    /// <param name="initiator">True for the side that writes the first message.</param>
    /// <param name="prologue">What both sides said before the handshake; a mismatch makes the handshake fail.</param>
    /// <param name="localStaticPrivate">This side's static X25519 private key, if the pattern uses one (copied, wiped when done).</param>
    /// <param name="remoteStaticPublic">The peer's static public key, if a pre-message carries it (32 bytes).</param>
    /// <param name="localEphemeralPrivate">A fixed ephemeral key: test vectors only (a fresh one otherwise).</param>
    /// <param name="cipherName">The cipher's name in the protocol name (<c>ChaChaPoly</c> or <c>AESGCM</c>).</param>
    /// <param name="cipherFactory">Makes that cipher from a key (ChaCha20-Poly1305 when null).</param>
    /// <param name="localKemSeed">A fixed ephemeral ML-KEM seed (d ‖ z, 64 bytes): test vectors only.</param>
    /// <param name="kemRandomness">A fixed ML-KEM encapsulation randomness (m, 32 bytes): test vectors only.</param>
    public NoiseHandshakeState(
        NoisePattern pattern,
        bool initiator,
        ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> localStaticPrivate = default,
        ReadOnlySpan<byte> remoteStaticPublic = default,
        ReadOnlySpan<byte> localEphemeralPrivate = default,
        string cipherName = "ChaChaPoly",
        NoiseCipherFactory? cipherFactory = null,
        ReadOnlySpan<byte> localKemSeed = default,
        ReadOnlySpan<byte> kemRandomness = default)
    {
        _pattern = pattern;
        _initiator = initiator;
        _cipherFactory = cipherFactory ?? (key => new ChaChaPolyCipherState(key));
        _symmetric = new SymmetricState(ProtocolNameOf(pattern, cipherName), _cipherFactory);
        _symmetric.MixHash(prologue);

        if (!localStaticPrivate.IsEmpty)
        {
            _localStaticPrivate = PinnedCopy(localStaticPrivate);
            _localStaticPublic = new byte[DhLength];
            X25519Dh.DerivePublicKey(_localStaticPrivate, _localStaticPublic);
        }
        if (!remoteStaticPublic.IsEmpty)
        {
            if (remoteStaticPublic.Length != DhLength)
                throw new ArgumentException("An X25519 public key is 32 bytes.", nameof(remoteStaticPublic));
            _remoteStatic = remoteStaticPublic.ToArray();
        }
        if (!localEphemeralPrivate.IsEmpty)
            SetEphemeral(localEphemeralPrivate);
        if (!localKemSeed.IsEmpty)
            SetKemEphemeral(localKemSeed);
        if (!kemRandomness.IsEmpty)
        {
            if (kemRandomness.Length != MlKem768.EncapsulationRandomnessSize)
                throw new ArgumentException("ML-KEM encapsulation randomness is 32 bytes.", nameof(kemRandomness));
            _kemRandomness = PinnedCopy(kemRandomness);
        }

        // §5.3 Initialize: pre-message public keys are hashed, initiator's first.
        MixPreMessage(pattern.InitiatorPreMessage, localIsOwner: initiator);
        MixPreMessage(pattern.ResponderPreMessage, localIsOwner: !initiator);
    }

    /// <summary>The Noise protocol name of <paramref name="pattern"/> with SHA-256: <c>Noise_XX_25519_ChaChaPoly_SHA256</c>, <c>Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256</c>.</summary>
    public static string ProtocolNameOf(NoisePattern pattern, string cipherName = "ChaChaPoly")
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return $"Noise_{pattern.Name}_25519{(pattern.UsesKem ? "+MLKEM768" : "")}_{cipherName}_SHA256";
    }

    /// <summary>True for the side that writes the first message.</summary>
    public bool IsInitiator => _initiator;

    /// <summary>True once every message of the pattern was written or read; then call <see cref="Split"/>.</summary>
    public bool IsComplete => _messageIndex == _pattern.Messages.Count;

    /// <summary>True when the next message is this side's to write.</summary>
    public bool IsMyTurnToWrite => !IsComplete && (_messageIndex % 2 == 0) == _initiator;

    /// <summary>Index of the next handshake message (0-based).</summary>
    public int MessageIndex => _messageIndex;

    /// <summary>The handshake hash h (§5.2): binds the whole transcript, for channel binding.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    /// <summary>The peer's static public key once received (or given as a pre-message); empty before.</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _remoteStatic;

    /// <summary>This side's static public key; empty when the pattern uses none.</summary>
    public ReadOnlySpan<byte> LocalStaticPublicKey => _localStaticPublic;

    /// <summary>The size <see cref="WriteMessage"/> will produce for a payload of the given length.</summary>
    public int GetMessageLength(int payloadLength)
    {
        var hasKey = _symmetric.HasKey;
        var length = 0;
        foreach (var token in CurrentTokens())
        {
            switch (token)
            {
                case NoiseToken.E: length += DhLength; break;
                case NoiseToken.S: length += DhLength + (hasKey ? 16 : 0); break;
                case NoiseToken.E1: length += MlKem768.PublicKeySize + (hasKey ? 16 : 0); break;
                case NoiseToken.Ekem1: length += MlKem768.CiphertextSize + (hasKey ? 16 : 0); hasKey = true; break;
                default: hasKey = true; break;
            }
        }
        return length + payloadLength + (hasKey ? 16 : 0);
    }

    /// <summary>Writes this side's next message, carrying <paramref name="payload"/> (encrypted once a key is mixed in).</summary>
    /// <exception cref="InvalidOperationException">It is not this side's turn, or the handshake failed or is complete.</exception>
    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureUsable();
        if (!IsMyTurnToWrite)
            throw new InvalidOperationException("It is the peer's turn to send a handshake message.");

        var length = GetMessageLength(payload.Length);
        var buffer = output.GetSpan(length)[..length];
        try
        {
            var offset = 0;
            foreach (var token in CurrentTokens())
            {
                switch (token)
                {
                    case NoiseToken.E:
                        if (_localEphemeralPrivate is null)
                            GenerateEphemeral();
                        _localEphemeralPublic.AsSpan().CopyTo(buffer[offset..]);
                        _symmetric.MixHash(_localEphemeralPublic);
                        offset += DhLength;
                        break;
                    case NoiseToken.S:
                        if (_localStaticPublic is null)
                            throw new InvalidOperationException("This pattern sends a static key, but none was given.");
                        offset += _symmetric.EncryptAndHash(_localStaticPublic, buffer[offset..]);
                        break;
                    case NoiseToken.E1:
                        if (_localKemSeed is null)
                            GenerateKemEphemeral();
                        offset += _symmetric.EncryptAndHash(_localKemPublic, buffer[offset..]);
                        break;
                    case NoiseToken.Ekem1:
                        offset += WriteKemCiphertext(buffer[offset..]);
                        break;
                    default:
                        MixDh(token);
                        break;
                }
            }
            offset += _symmetric.EncryptAndHash(payload, buffer[offset..]);
            output.Advance(offset);
            _messageIndex++;
        }
        catch
        {
            _failed = true;
            WipePrivateKeys();
            throw;
        }
    }

    /// <summary>Consumes the peer's message and writes its payload to <paramref name="payload"/>.</summary>
    /// <exception cref="HandshakeException">The message is truncated, fails authentication or carries an unusable key.</exception>
    public void ReadMessage(ReadOnlySpan<byte> message, IBufferWriter<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        EnsureUsable();
        if (IsComplete || IsMyTurnToWrite)
            throw new InvalidOperationException("It is this side's turn to send a handshake message, not to receive one.");

        try
        {
            var remaining = message;
            foreach (var token in CurrentTokens())
            {
                switch (token)
                {
                    case NoiseToken.E:
                        _remoteEphemeral = Take(ref remaining, DhLength).ToArray();
                        _symmetric.MixHash(_remoteEphemeral);
                        break;
                    case NoiseToken.S:
                        var sealedKey = Take(ref remaining, DhLength + _symmetric.Overhead);
                        var remoteStatic = new byte[DhLength];
                        if (!_symmetric.DecryptAndHash(sealedKey, remoteStatic))
                            throw AuthenticationFailed();
                        _remoteStatic = remoteStatic;
                        break;
                    case NoiseToken.E1:
                        var sealedKemKey = Take(ref remaining, MlKem768.PublicKeySize + _symmetric.Overhead);
                        var remoteKemPublic = new byte[MlKem768.PublicKeySize];
                        if (!_symmetric.DecryptAndHash(sealedKemKey, remoteKemPublic))
                            throw AuthenticationFailed();
                        // Parsed once: the checked key is what ekem1 encapsulates to.
                        _remoteKemPublic = MlKem768.TryParsePublicKey(remoteKemPublic) ?? throw InvalidKemKey();
                        break;
                    case NoiseToken.Ekem1:
                        ReadKemCiphertext(Take(ref remaining, MlKem768.CiphertextSize + _symmetric.Overhead));
                        break;
                    default:
                        MixDh(token);
                        break;
                }
            }

            var overhead = _symmetric.Overhead;
            if (remaining.Length < overhead)
                throw Truncated();
            var plaintext = payload.GetSpan(Math.Max(1, remaining.Length - overhead))[..(remaining.Length - overhead)];
            if (!_symmetric.DecryptAndHash(remaining, plaintext))
                throw AuthenticationFailed();
            payload.Advance(plaintext.Length);
            _messageIndex++;
        }
        catch
        {
            _failed = true;
            WipePrivateKeys();
            throw;
        }
    }

    /// <summary>
    /// The two transport ciphers, initiator-to-responder first (§5.2). Once only: the handshake
    /// state holds no keys afterwards.
    /// </summary>
    public (CipherState InitiatorToResponder, CipherState ResponderToInitiator) Split()
    {
        EnsureUsable();
        if (!IsComplete)
            throw new InvalidOperationException("The handshake is not complete yet.");
        if (_split)
            throw new InvalidOperationException("The handshake has already handed over its session.");
        _split = true;
        try
        {
            return _symmetric.Split();
        }
        finally
        {
            WipePrivateKeys();
        }
    }

    /// <summary>The local private keys' storage (static copy, ephemeral), so tests can see the wipe.</summary>
    internal (ReadOnlyMemory<byte> Static, ReadOnlyMemory<byte> Ephemeral) PrivateKeyStorage =>
        (_localStaticPrivate, _localEphemeralPrivate);

    /// <summary>The ephemeral ML-KEM seed's storage (null before e1 was written), so tests can see the wipe.</summary>
    internal ReadOnlyMemory<byte> KemSeedStorage => _localKemSeed;

    /// <summary>True while this side holds its expanded ML-KEM private key (from writing e1 to its one decapsulation).</summary>
    internal bool HoldsKemKey => _localKemKey is { IsAlive: true };

    /// <summary>Wipes the private keys and the symmetric state; the handshake is unusable afterwards.</summary>
    public void Dispose()
    {
        _symmetric.Dispose();
        WipePrivateKeys();
        _failed = true;
    }

    private void WipePrivateKeys()
    {
        if (_localStaticPrivate is not null)
            CryptographicOperations.ZeroMemory(_localStaticPrivate);
        if (_localEphemeralPrivate is not null)
            CryptographicOperations.ZeroMemory(_localEphemeralPrivate);
        if (_localKemSeed is not null)
            CryptographicOperations.ZeroMemory(_localKemSeed);
        _localKemKey?.Dispose();
        if (_kemRandomness is not null)
            CryptographicOperations.ZeroMemory(_kemRandomness);
    }

    private static byte[] PinnedCopy(ReadOnlySpan<byte> key)
    {
        var copy = GC.AllocateUninitializedArray<byte>(key.Length, pinned: true);
        key.CopyTo(copy);
        return copy;
    }

    private NoiseToken[] CurrentTokens() => _pattern.Messages[_messageIndex];

    private void GenerateEphemeral()
    {
        Span<byte> fresh = stackalloc byte[DhLength];
        X25519Dh.GeneratePrivateKey(fresh);
        SetEphemeral(fresh);
        CryptographicOperations.ZeroMemory(fresh);
    }

    private void SetEphemeral(ReadOnlySpan<byte> privateKey)
    {
        _localEphemeralPrivate = PinnedCopy(privateKey);
        _localEphemeralPublic = new byte[DhLength];
        X25519Dh.DerivePublicKey(_localEphemeralPrivate, _localEphemeralPublic);
    }

    private void GenerateKemEphemeral()
    {
        Span<byte> fresh = stackalloc byte[MlKem768.SeedSize];
        MlKem768.GenerateSeed(fresh);
        SetKemEphemeral(fresh);
        CryptographicOperations.ZeroMemory(fresh);
    }

    private void SetKemEphemeral(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != MlKem768.SeedSize)
            throw new ArgumentException("An ML-KEM-768 seed is 64 bytes.", nameof(seed));
        _localKemSeed = PinnedCopy(seed);
        _localKemPublic = new byte[MlKem768.PublicKeySize];
        // Expanded once, kept for the one decapsulation in ekem1.
        _localKemKey = MlKem768.CreatePrivateKey(_localKemSeed, _localKemPublic);
    }

    /// <summary>ekem1, writing: encapsulate to the peer's e1, send the ciphertext (EncryptAndHash), MixKey the secret.</summary>
    private int WriteKemCiphertext(Span<byte> destination)
    {
        if (_remoteKemPublic is null)
            throw new InvalidOperationException("The ekem1 operation needs the peer's e1 key, which this handshake does not have.");
        var ciphertext = new byte[MlKem768.CiphertextSize];
        Span<byte> shared = stackalloc byte[MlKem768.SharedSecretSize];
        try
        {
            MlKem768.Encapsulate(_remoteKemPublic, ciphertext, shared, _kemRandomness);
            var written = _symmetric.EncryptAndHash(ciphertext, destination);
            _symmetric.MixKey(shared);
            return written;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>ekem1, reading: DecryptAndHash the ciphertext, decapsulate with e1, MixKey the secret, wipe e1.</summary>
    private void ReadKemCiphertext(ReadOnlySpan<byte> sealedCiphertext)
    {
        if (_localKemKey is not { IsAlive: true })
            throw new InvalidOperationException("The ekem1 operation needs this side's e1 key, which this handshake does not have.");
        var ciphertext = new byte[MlKem768.CiphertextSize];
        if (!_symmetric.DecryptAndHash(sealedCiphertext, ciphertext))
            throw AuthenticationFailed();
        Span<byte> shared = stackalloc byte[MlKem768.SharedSecretSize];
        try
        {
            _localKemKey.Decapsulate(ciphertext, shared);
            _symmetric.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            // e1 has done its one job.
            CryptographicOperations.ZeroMemory(_localKemSeed!);
            _localKemKey.Dispose();
        }
    }

    private void MixPreMessage(IReadOnlyList<NoiseToken> tokens, bool localIsOwner)
    {
        foreach (var token in tokens)
        {
            var key = (token, localIsOwner) switch
            {
                (NoiseToken.S, true) => _localStaticPublic,
                (NoiseToken.S, false) => _remoteStatic,
                (NoiseToken.E, true) => _localEphemeralPublic,
                (NoiseToken.E, false) => _remoteEphemeral,
                _ => throw new InvalidOperationException($"Token {token} cannot appear in a pre-message."),
            };
            if (key is null)
                throw new ArgumentException($"The pattern {_pattern.Name} needs a pre-message {token} key that was not given.");
            _symmetric.MixHash(key);
        }
    }

    private void MixDh(NoiseToken token)
    {
        // §7.2: ee = DH(e, re); es = initiator's e with responder's s; se = initiator's s with responder's e; ss.
        var (localEphemeral, remoteEphemeral) = token switch
        {
            NoiseToken.EE => (true, true),
            NoiseToken.ES => (_initiator, !_initiator),
            NoiseToken.SE => (!_initiator, _initiator),
            NoiseToken.SS => (false, false),
            _ => throw new InvalidOperationException($"{token} is not a DH token."),
        };
        var privateKey = localEphemeral ? _localEphemeralPrivate : _localStaticPrivate;
        var publicKey = remoteEphemeral ? _remoteEphemeral : _remoteStatic;
        if (privateKey is null || publicKey is null)
            throw new InvalidOperationException($"The {token} operation needs a key this handshake does not have.");

        Span<byte> shared = stackalloc byte[DhLength];
        if (!X25519Dh.TryAgree(privateKey, publicKey, shared))
            throw new HandshakeException(
                "The peer sent a public key that would give a publicly known shared secret (a zero or low-order key), so the handshake was refused.");
        _symmetric.MixKey(shared);
        CryptographicOperations.ZeroMemory(shared);
    }

    private void EnsureUsable()
    {
        if (_failed)
            throw new InvalidOperationException("The handshake has failed or been disposed and cannot be used again.");
    }

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> remaining, int count)
    {
        if (remaining.Length < count)
            throw Truncated();
        var taken = remaining[..count];
        remaining = remaining[count..];
        return taken;
    }

    private static HandshakeException Truncated() =>
        new("The peer's handshake message is truncated: it ends before the keys it must carry.");

    private static HandshakeException InvalidKemKey() =>
        new("The peer sent an ML-KEM key that is not valid (FIPS 203 §7.2), so the handshake was refused.");

    private static HandshakeException AuthenticationFailed() =>
        new("The peer's handshake message failed authentication.");
}
