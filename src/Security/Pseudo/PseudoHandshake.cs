using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Pseudo;

/// <summary>
/// The pseudo mode's two-message handshake (protocol 2): each side sends <c>SHA-256("SecretChat pseudo" || prologue)</c>
/// followed by its payload in the clear, the initiator first, and checks the other's hash. PROTECTS NOTHING (see
/// <see cref="PseudoSecurity"/>): it only catches a peer of another version or mode early.
/// </summary>
internal sealed class PseudoHandshake : IHandshake
{
    /// <summary>The hash every message starts with; the payload follows.</summary>
    public const int MessageSize = 32;

    internal const string MismatchMessage =
        "The peer's protocol version or security mode does not match this side's (pseudo mode).";

    private static ReadOnlySpan<byte> Label => "SecretChat pseudo"u8;

    private readonly byte[] _hash;
    private int _step; // 0: the initiator writes, 1: the responder writes, 2: done
    private bool _failed;
    private bool _split;
    private bool _disposed;

    public PseudoHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
    {
        Role = role;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Label);
        hash.AppendData(prologue);
        _hash = hash.GetHashAndReset();
    }

    public HandshakeRole Role { get; }

    public HandshakeStatus Status => _step switch
    {
        2 => HandshakeStatus.Complete,
        0 => Role == HandshakeRole.Initiator ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
        _ => Role == HandshakeRole.Responder ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
    };

    public bool IsFinalWrite => true;

    public void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureTurn(HandshakeStatus.MustWrite);
        if (payload.Length > HandshakePayload.MaxSize)
            throw new ArgumentException($"A handshake payload holds at most {HandshakePayload.MaxSize} bytes.", nameof(payload));
        output.Write(_hash);
        output.Write(payload);
        _step++;
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(HandshakeStatus.MustRead);
        if (message.Length < MessageSize || message.Length > MessageSize + HandshakePayload.MaxSize
            || !CryptographicOperations.FixedTimeEquals(message[..MessageSize], _hash))
        {
            _failed = true;
            throw new HandshakeException(MismatchMessage);
        }
        _step++;
        return message[MessageSize..].ToArray();
    }

    public SecureSession Split()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
            throw new InvalidOperationException("The handshake has failed and cannot continue.");
        if (_step != 2)
            throw new InvalidOperationException($"The handshake is not complete yet (status {Status}).");
        if (_split)
            throw new InvalidOperationException("The handshake has already handed over its session.");
        _split = true;
        return new SecureSession(PseudoSecurity.Descriptor, new PlaintextCipherState(), new PlaintextCipherState(), _hash)
        {
            ProtocolName = PseudoSecurity.ProtocolName,
        };
    }

    public void Dispose() => _disposed = true;

    private void EnsureTurn(HandshakeStatus expected) => HandshakeTurn.Ensure(this, _disposed, _failed, expected);
}
