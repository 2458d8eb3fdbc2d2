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
/// Two messages, each a fresh nonce and the sender's payload (its greeting) sealed under a key derived from the
/// pre-shared key, the prologue and the nonces so far. Opening the peer's payload proves it holds the key. The
/// session keys come from the key, the prologue and both nonces.
/// </summary>
internal sealed class PskHandshake(byte[] key, HandshakeRole role, ReadOnlySpan<byte> prologue) : IHandshake
{
    private const int NonceSize = 32;
    private const int TagSize = 16;
    private readonly byte[] _prologue = prologue.ToArray();
    private byte[] _initiatorNonce = [];
    private byte[] _responderNonce = [];
    private int _step;

    public HandshakeRole Role => role;

    public HandshakeStatus Status => _step switch
    {
        0 => role == HandshakeRole.Initiator ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
        1 => role == HandshakeRole.Initiator ? HandshakeStatus.MustRead : HandshakeStatus.MustWrite,
        _ => HandshakeStatus.Complete,
    };

    // Each side writes one message, so every write is its last.
    public bool IsFinalWrite => true;

    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        if (_step == 0)
            _initiatorNonce = nonce;
        else
            _responderNonce = nonce;
        output.Write(nonce);
        var sealedPayload = output.GetSpan(payload.Length + TagSize)[..(payload.Length + TagSize)];
        using (var aead = new ChaCha20Poly1305(MessageKey()))
            aead.Encrypt(new byte[12], payload, sealedPayload[..payload.Length], sealedPayload[payload.Length..], _prologue);
        output.Advance(sealedPayload.Length);
        _step++;
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        if (message.Length < NonceSize + TagSize)
            throw new HandshakeException("The peer's psk-demo message is too short.");
        if (_step == 0)
            _initiatorNonce = message[..NonceSize].ToArray();
        else
            _responderNonce = message[..NonceSize].ToArray();
        var sealedPayload = message[NonceSize..];
        var payload = new byte[sealedPayload.Length - TagSize];
        try
        {
            using var aead = new ChaCha20Poly1305(MessageKey());
            aead.Decrypt(new byte[12], sealedPayload[..payload.Length], sealedPayload[payload.Length..], payload, _prologue);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new HandshakeException("The peer does not hold the same pre-shared key.");
        }
        _step++;
        return payload;
    }

    public SecureSession Split()
    {
        if (Status != HandshakeStatus.Complete)
            throw new InvalidOperationException("The handshake is not complete yet.");
        Span<byte> keys = stackalloc byte[64];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, keys, Transcript(), "psk-demo session"u8);
        var initiatorToResponder = new ChaChaPolyCipherState(keys[..32]);
        var responderToInitiator = new ChaChaPolyCipherState(keys[32..]);
        CryptographicOperations.ZeroMemory(keys);
        var hash = SHA256.HashData(Transcript());
        return role == HandshakeRole.Initiator
            ? new SecureSession(PskSecurity.Descriptor, initiatorToResponder, responderToInitiator, hash)
            : new SecureSession(PskSecurity.Descriptor, responderToInitiator, initiatorToResponder, hash);
    }

    public void Dispose()
    {
    }

    private byte[] Transcript() => [.. _prologue, .. _initiatorNonce, .. _responderNonce];

    // One key per message (the nonces differ), so the all-zero AEAD nonce is used once per key.
    private byte[] MessageKey() => HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, Transcript(), "psk-demo message"u8.ToArray());
}
