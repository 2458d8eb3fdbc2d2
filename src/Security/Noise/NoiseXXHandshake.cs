using System.Buffers;

namespace SecretChat.Security.Noise;

/// <summary>
/// One side of Noise_XX_25519_ChaChaPoly_SHA256, or of its post-quantum hybrid
/// Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256, behind <see cref="IHandshake"/>. The initiator chooses: a
/// post-quantum initiator sends e1 in its first message. The responder follows the first message's size (XX: 32 to
/// 800 bytes; XXhfs: 1,216 to 1,984 bytes, ranges that cannot overlap), so it holds both states until then and drops
/// the other. Each message is at least its keys and tags long (XX: 32, 96, 64; XXhfs: 1,216, 1,200, 64) plus a payload
/// of at most <see cref="HandshakePayload.MaxSize"/> bytes; anything shorter or longer is refused before any
/// cryptography runs.
/// </summary>
internal sealed class NoiseXXHandshake : IHandshake
{
    /// <summary>Sizes of the three XX messages with empty payloads: e; e, ee, s(+tag), es, tag; s(+tag), se, tag.</summary>
    private static readonly int[] ClassicLengths = [32, 32 + 48 + 16, 48 + 16];

    /// <summary>Sizes of the three XXhfs messages with empty payloads: e, e1; e, ee, ekem1(+tag), s(+tag), es, tag; s(+tag), se, tag.</summary>
    private static readonly int[] HybridLengths = [32 + 1184, 32 + 1088 + 16 + 48 + 16, 48 + 16];

    private NoiseHandshakeState _state;
    private NoiseHandshakeState? _hybridCandidate;
    private readonly byte[] _localStaticPublic;
    private bool _failed;
    private bool _split;

    public NoiseXXHandshake(
        HandshakeRole role,
        ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> localStaticPrivate,
        byte[] localStaticPublic,
        ReadOnlySpan<byte> ephemeralPrivate,
        bool postQuantum = false,
        ReadOnlySpan<byte> kemSeed = default,
        ReadOnlySpan<byte> kemRandomness = default)
    {
        Role = role;
        _localStaticPublic = localStaticPublic;
        var initiator = role == HandshakeRole.Initiator;
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
            _state.WriteMessage(payload, output);
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
            CheckLength(message.Length);
            var payload = new ArrayBufferWriter<byte>(Math.Max(1, message.Length));
            _state.ReadMessage(message, payload);
            return payload.WrittenSpan.ToArray();
        }
        catch
        {
            _failed = true;
            throw;
        }
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
        };
    }

    public void Dispose()
    {
        _failed = true;
        _state.Dispose();
        _hybridCandidate?.Dispose();
        _hybridCandidate = null;
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

    private void CheckLength(int length)
    {
        var index = _state.MessageIndex;
        var expected = MessageLengths[index];
        if (length > NoiseSecurity.MaxMessageLength)
            throw new HandshakeException(
                $"The peer's handshake message is {length} bytes, more than the {NoiseSecurity.MaxMessageLength} bytes a Noise message may hold.");
        if (length >= expected && length <= expected + HandshakePayload.MaxSize)
            return;
        // A 32-byte message where a reply was due is another first message: the peer also initiates.
        if (Role == HandshakeRole.Initiator && index == 1 && length == ClassicLengths[0])
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
}
