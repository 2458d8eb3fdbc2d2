using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security;
using SecretChat.Security.Ciphers;

namespace SecretChat.Samples;

/// <summary>
/// (1) A security module of our own: both peers hold the same 32-byte key. Its identifier, "psk-demo", is negotiated
/// on the wire, so it meets only peers running the same module. A demo, not a reviewed protocol.
/// </summary>
public sealed class PskSecurity(byte[] key) : ISecurityModule
{
    public static SecurityModuleInfo Descriptor { get; } = new("psk-demo", "Pre-shared key (demo)", SecurityCapabilities.Confidential);

    public SecurityModuleInfo Info => Descriptor;

    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue) => new PskHandshake(key, role, prologue);
}

/// <summary>
/// Two messages: the initiator's nonce; the responder's nonce and a MAC over both nonces and the prologue. The session
/// keys come from the key, the nonces and the prologue, so a peer without the key cannot read or send anything.
/// </summary>
internal sealed class PskHandshake(byte[] key, HandshakeRole role, ReadOnlySpan<byte> prologue) : IHandshake
{
    private const int NonceSize = 32;
    private readonly byte[] _prologue = prologue.ToArray();
    private byte[]? _initiatorNonce;
    private byte[]? _responderNonce;
    private int _step;

    public HandshakeRole Role => role;

    public HandshakeStatus Status => _step switch
    {
        0 => role == HandshakeRole.Initiator ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
        1 => role == HandshakeRole.Initiator ? HandshakeStatus.MustRead : HandshakeStatus.MustWrite,
        _ => HandshakeStatus.Complete,
    };

    public void WriteMessage(IBufferWriter<byte> output)
    {
        if (_step == 0)
        {
            _initiatorNonce = RandomNumberGenerator.GetBytes(NonceSize);
            output.Write(_initiatorNonce);
        }
        else
        {
            _responderNonce = RandomNumberGenerator.GetBytes(NonceSize);
            output.Write(_responderNonce);
            output.Write(Mac());
        }
        _step++;
    }

    public void ReadMessage(ReadOnlySpan<byte> message)
    {
        if (_step == 0)
        {
            if (message.Length != NonceSize)
                throw new HandshakeException("The peer's psk-demo hello has the wrong size.");
            _initiatorNonce = message.ToArray();
        }
        else
        {
            if (message.Length != 2 * NonceSize)
                throw new HandshakeException("The peer's psk-demo answer has the wrong size.");
            _responderNonce = message[..NonceSize].ToArray();
            if (!CryptographicOperations.FixedTimeEquals(message[NonceSize..], Mac()))
                throw new HandshakeException("The peer does not hold the same pre-shared key.");
        }
        _step++;
    }

    public SecureSession Split()
    {
        if (Status != HandshakeStatus.Complete)
            throw new InvalidOperationException("The handshake is not complete yet.");
        Span<byte> keys = stackalloc byte[64];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, keys, Transcript(), "psk-demo keys"u8);
        var initiatorToResponder = new ChaChaPolyCipherState(keys[..32]);
        var responderToInitiator = new ChaChaPolyCipherState(keys[32..]);
        CryptographicOperations.ZeroMemory(keys);
        return role == HandshakeRole.Initiator
            ? new SecureSession(PskSecurity.Descriptor, initiatorToResponder, responderToInitiator, SHA256.HashData(Transcript()))
            : new SecureSession(PskSecurity.Descriptor, responderToInitiator, initiatorToResponder, SHA256.HashData(Transcript()));
    }

    public void Dispose()
    {
    }

    private byte[] Transcript() => [.. _prologue, .. _initiatorNonce!, .. _responderNonce!];

    private byte[] Mac() => HMACSHA256.HashData(key, Transcript());
}
