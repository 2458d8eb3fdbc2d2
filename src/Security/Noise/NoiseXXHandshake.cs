using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Kem;

namespace SecretChat.Security.Noise;

/// <summary>
/// One side of Noise_XX_25519_ChaChaPoly_SHA256, or of its post-quantum hybrid
/// Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256, behind <see cref="IHandshake"/>. The initiator chooses: a
/// post-quantum initiator sends e1 in its first message. The responder follows the first message's size (XX: 32 to
/// 800 bytes; XXhfs: 1,216 to 1,984 bytes, ranges that cannot overlap), so it holds both states until then and drops
/// the other. Each message is at least its keys and tags long (XX: 32, 96, 64; XXhfs: 1,216, 1,200, 64) plus a payload
/// of at most <see cref="HandshakePayload.MaxSize"/> bytes; anything shorter or longer is refused before any
/// cryptography runs.
/// <para>The cipher (AESGCM where both CPUs accelerate AES, ChaChaPoly otherwise): an initiator whose CPU accelerates
/// AES runs <c>Noise_XX_25519_AESGCM_SHA256</c> (or the hybrid's AESGCM name) and says so in message 1's cleartext
/// payload (field 4, <c>AESGCM</c>); a responder that accelerates AES too follows it, any other (one without AES
/// instructions, or an older build, which skips the unknown field) runs ChaChaPoly. The initiator reads message 2
/// under AESGCM first and, when its tags fail, replays message 1 under ChaChaPoly (the same ephemeral keys and
/// payload: message 1 encrypts nothing) and reads message 2 again. Message 1's payload is hashed into both sides'
/// h, so a man in the middle who adds or strips the offer makes every later tag fail: he cannot choose the cipher.</para>
/// </summary>
internal sealed class NoiseXXHandshake : IHandshake
{
    /// <summary>The cipher names of the protocol names here (Noise §12).</summary>
    internal const string ChaChaPolyName = "ChaChaPoly";

    /// <inheritdoc cref="ChaChaPolyName"/>
    internal const string AesGcmName = "AESGCM";

    /// <summary>Handshake payload field 4 (§3.6 of PROTOCOL.md): the ciphers message 1 was written with, <c>[len u8][ASCII]</c> each.</summary>
    internal const byte CipherOfferField = 4;

    private static readonly byte[] AesGcmOffer = [CipherOfferField, 0, 7, 6, (byte)'A', (byte)'E', (byte)'S', (byte)'G', (byte)'C', (byte)'M'];

    /// <summary>Sizes of the three XX messages with empty payloads: e; e, ee, s(+tag), es, tag; s(+tag), se, tag.</summary>
    private static readonly int[] ClassicLengths = [32, 32 + 48 + 16, 48 + 16];

    /// <summary>Sizes of the three XXhfs messages with empty payloads: e, e1; e, ee, ekem1(+tag), s(+tag), es, tag; s(+tag), se, tag.</summary>
    private static readonly int[] HybridLengths = [32 + 1184, 32 + 1088 + 16 + 48 + 16, 48 + 16];

    private NoiseHandshakeState _state;
    private NoiseHandshakeState? _hybridCandidate;
    private readonly byte[] _localStaticPublic;
    private bool _failed;
    private bool _split;

    // What builds the state again under the other cipher, kept (private keys pinned) only until the cipher is settled:
    // an offering initiator's message 2, an accepting responder's message 1. Wiped then, on failure and on Dispose.
    private CipherInputs? _cipherInputs;
    private byte[]? _firstPayload;

    public NoiseXXHandshake(
        HandshakeRole role,
        ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> localStaticPrivate,
        byte[] localStaticPublic,
        ReadOnlySpan<byte> ephemeralPrivate,
        bool postQuantum = false,
        ReadOnlySpan<byte> kemSeed = default,
        ReadOnlySpan<byte> kemRandomness = default,
        bool aesGcm = false)
    {
        Role = role;
        _localStaticPublic = localStaticPublic;
        var initiator = role == HandshakeRole.Initiator;
        if (initiator && aesGcm)
        {
            // The fallback replays message 1, so its ephemeral keys are fixed now, the same for both ciphers.
            _cipherInputs = new CipherInputs(prologue, localStaticPrivate, ephemeralPrivate, postQuantum, kemSeed, kemRandomness, fixEphemerals: true);
            _state = _cipherInputs.CreateState(initiator: true, postQuantum, AesGcmName);
            CipherName = AesGcmName;
            IsPostQuantum = postQuantum;
            return;
        }
        if (!initiator && aesGcm)
            _cipherInputs = new CipherInputs(prologue, localStaticPrivate, ephemeralPrivate, postQuantum: true, kemSeed, kemRandomness, fixEphemerals: false);
        if (initiator && postQuantum)
        {
            _state = new NoiseHandshakeState(
                NoisePattern.XXhfs, true, prologue, localStaticPrivate, default, ephemeralPrivate,
                localKemSeed: kemSeed, kemRandomness: kemRandomness);
            IsPostQuantum = true;
            return;
        }
        _state = new NoiseHandshakeState(NoisePattern.XX, initiator, prologue, localStaticPrivate, default, ephemeralPrivate);
        // Every responder answers a hybrid first message, whatever it prefers as an initiator: the initiator chose.
        if (!initiator)
            _hybridCandidate = new NoiseHandshakeState(
                NoisePattern.XXhfs, false, prologue, localStaticPrivate, default, ephemeralPrivate,
                localKemSeed: kemSeed, kemRandomness: kemRandomness);
    }

    /// <summary>True when this handshake runs (initiator) or was chosen to run (responder, after message 1) the hybrid pattern.</summary>
    public bool IsPostQuantum { get; private set; }

    /// <summary>The cipher of the protocol name this handshake runs: <see cref="ChaChaPolyName"/> or <see cref="AesGcmName"/>.</summary>
    public string CipherName { get; private set; } = ChaChaPolyName;

    /// <summary>The full Noise protocol name this handshake runs (settled once the initiator read message 2, the responder message 1).</summary>
    public string ProtocolName => NoiseHandshakeState.ProtocolNameOf(IsPostQuantum ? NoisePattern.XXhfs : NoisePattern.XX, CipherName);

    /// <summary>The state that runs the handshake (for tests: the wipe of its keys).</summary>
    internal NoiseHandshakeState State => _state;

    private int[] MessageLengths => IsPostQuantum ? HybridLengths : ClassicLengths;

    public HandshakeRole Role { get; }

    public HandshakeStatus Status =>
        _state.IsComplete ? HandshakeStatus.Complete
        : _state.IsMyTurnToWrite ? HandshakeStatus.MustWrite
        : HandshakeStatus.MustRead;

    public bool IsFinalWrite => _state.MessageIndex + 2 >= MessageLengths.Length;

    public void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.Length > HandshakePayload.MaxSize)
            throw new ArgumentException($"A handshake payload holds at most {HandshakePayload.MaxSize} bytes.", nameof(payload));
        EnsureAlive();
        if (Status != HandshakeStatus.MustWrite)
            throw new InvalidOperationException($"The handshake cannot write now: its status is {Status}.");
        try
        {
            if (_state.MessageIndex == 0 && _cipherInputs is not null && payload.Length + AesGcmOffer.Length <= HandshakePayload.MaxSize)
            {
                _firstPayload = [.. payload, .. AesGcmOffer];
                _state.WriteMessage(_firstPayload, output);
            }
            else if (_state.MessageIndex == 0 && _cipherInputs is not null)
            {
                // No room to say AESGCM: run ChaChaPoly, which every responder assumes without the offer.
                SwitchTo(_cipherInputs.CreateState(initiator: true, IsPostQuantum, ChaChaPolyName), ChaChaPolyName);
                _state.WriteMessage(payload, output);
            }
            else
            {
                _state.WriteMessage(payload, output);
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureAlive();
        if (Status != HandshakeStatus.MustRead)
            throw new InvalidOperationException($"The handshake cannot read now: its status is {Status}.");
        try
        {
            ChoosePattern(message.Length);
            CheckLength(message);
            ChooseCipher(message);
            var payload = new ArrayBufferWriter<byte>(Math.Max(1, message.Length));
            if (Role == HandshakeRole.Initiator && _firstPayload is not null)
                ReadReplyToOffer(message, payload);
            else
                _state.ReadMessage(message, payload);
            return payload.WrittenSpan.ToArray();
        }
        catch
        {
            _failed = true;
            ForgetCipherInputs();
            throw;
        }
    }

    /// <summary>An offering initiator's message 2: AESGCM if the responder followed, otherwise ChaChaPoly over a replayed message 1.</summary>
    private void ReadReplyToOffer(ReadOnlySpan<byte> message, ArrayBufferWriter<byte> payload)
    {
        var firstPayload = _firstPayload!;
        try
        {
            _state.ReadMessage(message, payload);
            ForgetCipherInputs();
            return;
        }
        catch (HandshakeException)
        {
            // A responder that did not follow (no AES instructions, an older build) wrote message 2 under ChaChaPoly.
        }
        finally
        {
            _firstPayload = null;
        }

        var fallback = _cipherInputs!.CreateState(initiator: true, IsPostQuantum, ChaChaPolyName);
        SwitchTo(fallback, ChaChaPolyName);
        fallback.WriteMessage(firstPayload, new ArrayBufferWriter<byte>(fallback.GetMessageLength(firstPayload.Length)));
        payload.Clear();
        _state.ReadMessage(message, payload);
        ForgetCipherInputs();
    }

    /// <summary>A responder's first read: follow the initiator's AESGCM when it offers it and this side accepts it.</summary>
    private void ChooseCipher(ReadOnlySpan<byte> message)
    {
        if (Role != HandshakeRole.Responder || _cipherInputs is null)
            return;
        var inputs = _cipherInputs;
        if (OffersAesGcm(message[(IsPostQuantum ? HybridLengths[0] : ClassicLengths[0])..]))
            SwitchTo(inputs.CreateState(initiator: false, IsPostQuantum, AesGcmName), AesGcmName);
        ForgetCipherInputs();
    }

    /// <summary>True when message 1's cleartext payload has field 4 naming AESGCM; a malformed payload offers nothing (the driver refuses it).</summary>
    internal static bool OffersAesGcm(ReadOnlySpan<byte> payload)
    {
        while (payload.Length >= 3)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]);
            if (payload.Length < 3 + length)
                return false;
            var value = payload.Slice(3, length);
            if (payload[0] == CipherOfferField)
            {
                while (!value.IsEmpty && value.Length > value[0])
                {
                    if (value.Slice(1, value[0]).SequenceEqual("AESGCM"u8))
                        return true;
                    value = value[(1 + value[0])..];
                }
            }
            payload = payload[(3 + length)..];
        }
        return false;
    }

    private void SwitchTo(NoiseHandshakeState state, string cipherName)
    {
        var dropped = _state;
        _state = state;
        CipherName = cipherName;
        dropped.Dispose();
    }

    private void ForgetCipherInputs()
    {
        _cipherInputs?.Dispose();
        _cipherInputs = null;
        _firstPayload = null;
    }

    public SecureSession Split()
    {
        EnsureAlive();
        if (Status != HandshakeStatus.Complete)
            throw new InvalidOperationException($"The handshake is not complete: its status is {Status}.");
        if (_split)
            throw new InvalidOperationException("The handshake has already handed over its session.");
        _split = true;
        var (initiatorToResponder, responderToInitiator) = _state.Split();
        var (sender, receiver) = Role == HandshakeRole.Initiator
            ? (initiatorToResponder, responderToInitiator)
            : (responderToInitiator, initiatorToResponder);
        return new SecureSession(
            NoiseSecurity.Descriptor,
            sender,
            receiver,
            _state.HandshakeHash.ToArray(),
            localStaticKey: _localStaticPublic,
            remoteStaticKey: _state.RemoteStaticPublicKey.ToArray())
        {
            IsPostQuantum = IsPostQuantum,
            ProtocolName = ProtocolName,
        };
    }

    public void Dispose()
    {
        _failed = true;
        _state.Dispose();
        _hybridCandidate?.Dispose();
        _hybridCandidate = null;
        ForgetCipherInputs();
    }

    /// <summary>A responder's first read: a first message of the hybrid's size selects the hybrid, any other the classic XX.</summary>
    private void ChoosePattern(int length)
    {
        if (_hybridCandidate is null)
            return;
        var hybrid = length >= HybridLengths[0];
        var dropped = hybrid ? _state : _hybridCandidate;
        if (hybrid)
            _state = _hybridCandidate;
        _hybridCandidate = null;
        IsPostQuantum = hybrid;
        dropped.Dispose();
    }

    private void CheckLength(ReadOnlySpan<byte> message)
    {
        var length = message.Length;
        var index = _state.MessageIndex;
        var expected = MessageLengths[index];
        if (length > NoiseSecurity.MaxMessageLength)
            throw new HandshakeException(
                $"The peer's handshake message is {length} bytes, more than the {NoiseSecurity.MaxMessageLength} bytes a Noise message may hold.");
        if (length >= expected && length <= expected + HandshakePayload.MaxSize)
            return;
        // A 32-byte message (42 with the AESGCM offer) where a reply was due is another first message: the peer also initiates.
        if (Role == HandshakeRole.Initiator && index == 1
            && (length == ClassicLengths[0] || (length == ClassicLengths[0] + AesGcmOffer.Length && OffersAesGcm(message[ClassicLengths[0]..]))))
            throw new HandshakeException(
                "The peer also started the handshake as initiator; exactly one side must initiate.");
        if (length < expected)
            throw new HandshakeException(
                $"The peer's handshake message is truncated: {length} bytes where at least {expected} were expected.");
        throw new HandshakeException(
            $"The peer's handshake message is {length} bytes where at most {expected + HandshakePayload.MaxSize} were expected; it is not a {(IsPostQuantum ? NoiseSecurity.HybridProtocolName : NoiseSecurity.ProtocolName)} message of SecretChat.");
    }

    private void EnsureAlive()
    {
        if (_failed)
            throw new InvalidOperationException("The handshake has failed or been disposed and cannot be used again.");
    }

    /// <summary>Copies of what made the state (private keys pinned), to build it again under the other cipher.</summary>
    private sealed class CipherInputs : IDisposable
    {
        private readonly byte[] _prologue;
        private readonly byte[]? _staticPrivate;
        private readonly byte[]? _ephemeralPrivate;
        private readonly byte[]? _kemSeed;
        private readonly byte[]? _kemRandomness;

        public CipherInputs(
            ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> ephemeralPrivate,
            bool postQuantum, ReadOnlySpan<byte> kemSeed, ReadOnlySpan<byte> kemRandomness, bool fixEphemerals)
        {
            _prologue = prologue.ToArray();
            _staticPrivate = PinnedCopy(staticPrivate);
            _ephemeralPrivate = PinnedCopy(ephemeralPrivate);
            _kemSeed = PinnedCopy(kemSeed);
            _kemRandomness = PinnedCopy(kemRandomness);
            if (!fixEphemerals)
                return;
            if (_ephemeralPrivate is null)
            {
                _ephemeralPrivate = GC.AllocateArray<byte>(X25519Dh.KeySize, pinned: true);
                X25519Dh.GeneratePrivateKey(_ephemeralPrivate);
            }
            if (postQuantum && _kemSeed is null)
            {
                _kemSeed = GC.AllocateArray<byte>(MlKem768.SeedSize, pinned: true);
                MlKem768.GenerateSeed(_kemSeed);
            }
        }

        public NoiseHandshakeState CreateState(bool initiator, bool postQuantum, string cipherName) => new(
            postQuantum ? NoisePattern.XXhfs : NoisePattern.XX, initiator, _prologue, _staticPrivate, default, _ephemeralPrivate,
            cipherName, cipherName == AesGcmName ? key => new AesGcmCipherState(key) : null,
            localKemSeed: postQuantum ? _kemSeed : default, kemRandomness: postQuantum ? _kemRandomness : default);

        public void Dispose()
        {
            foreach (var secret in new[] { _staticPrivate, _ephemeralPrivate, _kemSeed, _kemRandomness })
                if (secret is not null)
                    CryptographicOperations.ZeroMemory(secret);
        }

        private static byte[]? PinnedCopy(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
                return null;
            var copy = GC.AllocateArray<byte>(bytes.Length, pinned: true);
            bytes.CopyTo(copy);
            return copy;
        }
    }
}
