using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Pseudo;

/// <summary>
/// The pseudo mode's one-message handshake: the initiator sends <c>SHA-256("SecretChat pseudo" || prologue)</c>
/// and the responder checks it. PROTECTS NOTHING (see <see cref="PseudoSecurity"/>).
/// </summary>
internal sealed class PseudoHandshake : IHandshake
{
    public const int MessageSize = 32;

    internal const string MismatchMessage =
        "The peer's protocol version or security mode does not match this side's (pseudo mode).";

    private static ReadOnlySpan<byte> Label => "SecretChat pseudo"u8;

    private readonly byte[] _hash;
    private bool _done;
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

    public HandshakeStatus Status => _done
        ? HandshakeStatus.Complete
        : Role == HandshakeRole.Initiator ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead;

    public void WriteMessage(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureTurn(HandshakeStatus.MustWrite);
        output.Write(_hash);
        _done = true;
    }

    public void ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(HandshakeStatus.MustRead);
        if (message.Length != MessageSize || !CryptographicOperations.FixedTimeEquals(message, _hash))
        {
            _failed = true;
            throw new HandshakeException(MismatchMessage);
        }
        _done = true;
    }

    public SecureSession Split()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
            throw new InvalidOperationException("The handshake has failed and cannot continue.");
        if (!_done)
            throw new InvalidOperationException($"The handshake is not complete yet (status {Status}).");
        if (_split)
            throw new InvalidOperationException("The handshake has already handed over its session.");
        _split = true;
        return new SecureSession(PseudoSecurity.Descriptor, new PlaintextCipherState(), new PlaintextCipherState(), _hash);
    }

    public void Dispose() => _disposed = true;

    private void EnsureTurn(HandshakeStatus expected) => HandshakeTurn.Ensure(this, _disposed, _failed, expected);
}
