using System.Buffers;

namespace SecretChat.Security.Noise;

/// <summary>
/// One side of Noise_XX_25519_ChaChaPoly_SHA256 behind <see cref="IHandshake"/>. The three messages are at
/// least 32, 96 and 64 bytes (their keys and tags) plus a payload of at most <see cref="HandshakePayload.MaxSize"/>
/// bytes; anything shorter or longer is refused before any cryptography runs.
/// </summary>
internal sealed class NoiseXXHandshake : IHandshake
{
    /// <summary>Sizes of the three XX messages with empty payloads: e; e, ee, s(+tag), es, tag; s(+tag), se, tag.</summary>
    private static readonly int[] MessageLengths = [32, 32 + 48 + 16, 48 + 16];

    private readonly NoiseHandshakeState _state;
    private readonly byte[] _localStaticPublic;
    private bool _failed;
    private bool _split;

    public NoiseXXHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> localStaticPrivate, byte[] localStaticPublic, ReadOnlySpan<byte> ephemeralPrivate)
    {
        Role = role;
        _localStaticPublic = localStaticPublic;
        _state = new NoiseHandshakeState(
            NoisePattern.XX, role == HandshakeRole.Initiator, prologue, localStaticPrivate, default, ephemeralPrivate);
    }

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
            remoteStaticKey: _state.RemoteStaticPublicKey.ToArray());
    }

    public void Dispose()
    {
        _failed = true;
        _state.Dispose();
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
        if (Role == HandshakeRole.Initiator && index == 1 && length == MessageLengths[0])
            throw new HandshakeException(
                "The peer also started the handshake as initiator; exactly one side must initiate.");
        if (length < expected)
            throw new HandshakeException(
                $"The peer's handshake message is truncated: {length} bytes where at least {expected} were expected.");
        throw new HandshakeException(
            $"The peer's handshake message is {length} bytes where at most {expected + HandshakePayload.MaxSize} were expected; it is not a {NoiseSecurity.ProtocolName} message of SecretChat.");
    }

    private void EnsureAlive()
    {
        if (_failed)
            throw new InvalidOperationException("The handshake has failed or been disposed and cannot be used again.");
    }
}
