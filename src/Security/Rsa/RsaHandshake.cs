using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Rsa;

/// <summary>
/// One side of the rsa-mode handshake (see <see cref="RsaSecurity"/>):
/// <code>
/// R -> I: responder's fresh RSA-2048 public key (SubjectPublicKeyInfo DER, 294 bytes) || payload (clear)
/// I -> R: RSA-OAEP-SHA256(16-byte session key) (256 bytes) || HMAC(initiator confirm key, th) (32 bytes) || sealed payload (+16)
/// R -> I: HMAC(responder confirm key, th) (32 bytes) || sealed payload (+16)
/// </code>
/// The first message's payload is bound by th (it covers the whole message); the later ones are sealed under their
/// own keys with th as associated data (see <see cref="RsaKeySchedule"/>).
/// </summary>
internal sealed class RsaHandshake : IHandshake
{
    public const int SessionKeySize = 16;
    public const int EncryptedKeySize = RsaKeyPool.KeySizeInBits / 8;
    public const int SessionKeyMessageSize = EncryptedKeySize + RsaKeySchedule.MacSize + PayloadTagSize;
    public const int ConfirmationMessageSize = RsaKeySchedule.MacSize + PayloadTagSize;
    private const int PayloadTagSize = 16;

    /// <summary>A 2048-bit key with exponent 65537 encodes in 294 bytes; anything far longer is refused before parsing.</summary>
    public const int MaxPublicKeyMessageSize = 1024 + HandshakePayload.MaxSize;

    private const int RequiredExponent = 65537;

    internal const string TamperedMessage =
        "The handshake does not verify: the connection was tampered with, or the peer uses a different protocol version or mode.";

    private enum Step { PublicKey, SessionKey, Confirmation, Complete }

    private readonly byte[] _prologue;
    private RSA? _keyPair; // the responder's private key, until it has decrypted the session key
    private byte[]? _publicKey;
    private byte[]? _firstMessage; // the key and the responder's payload: what th covers
    private RsaKeySchedule? _keys;
    private Step _step;
    private bool _failed;
    private bool _split;
    private bool _disposed;

    private RsaHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue, RSA? keyPair)
    {
        Role = role;
        _prologue = prologue.ToArray();
        _keyPair = keyPair;
    }

    public static RsaHandshake CreateInitiator(ReadOnlySpan<byte> prologue) => new(HandshakeRole.Initiator, prologue, null);

    /// <param name="prologue">What both sides said before the handshake; bound into the transcript.</param>
    /// <param name="keyPair">A fresh RSA-2048 key pair used for this handshake only; the handshake disposes it.</param>
    public static RsaHandshake CreateResponder(ReadOnlySpan<byte> prologue, RSA keyPair)
    {
        ArgumentNullException.ThrowIfNull(keyPair);
        if (keyPair.KeySize != RsaKeyPool.KeySizeInBits)
            throw new ArgumentException("The responder's key pair must be RSA-2048.", nameof(keyPair));
        return new(HandshakeRole.Responder, prologue, keyPair);
    }

    public HandshakeRole Role { get; }

    public HandshakeStatus Status => _step switch
    {
        Step.Complete => HandshakeStatus.Complete,
        // Steps alternate; the responder speaks first.
        Step.PublicKey or Step.Confirmation => Role == HandshakeRole.Responder ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
        _ => Role == HandshakeRole.Initiator ? HandshakeStatus.MustWrite : HandshakeStatus.MustRead,
    };

    public bool IsFinalWrite => _step != Step.PublicKey;

    public void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureTurn(HandshakeStatus.MustWrite);
        if (payload.Length > HandshakePayload.MaxSize)
            throw new ArgumentException($"A handshake payload holds at most {HandshakePayload.MaxSize} bytes.", nameof(payload));
        try
        {
            switch (_step)
            {
                case Step.PublicKey: WritePublicKey(payload, output); _step = Step.SessionKey; break;
                case Step.SessionKey: WriteSessionKey(payload, output); _step = Step.Confirmation; break;
                case Step.Confirmation: WriteConfirmation(payload, output); _step = Step.Complete; break;
            }
        }
        catch
        {
            Fail();
            throw;
        }
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(HandshakeStatus.MustRead);
        try
        {
            byte[] payload;
            switch (_step)
            {
                case Step.PublicKey: payload = ReadPublicKey(message); _step = Step.SessionKey; break;
                case Step.SessionKey: payload = ReadSessionKey(message); _step = Step.Confirmation; break;
                default: payload = ReadConfirmation(message); _step = Step.Complete; break;
            }
            return payload;
        }
        catch
        {
            Fail();
            throw;
        }
    }

    public SecureSession Split()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
            throw new InvalidOperationException("The handshake has failed and cannot continue.");
        if (_step != Step.Complete)
            throw new InvalidOperationException($"The handshake is not complete yet (status {Status}).");
        if (_split)
            throw new InvalidOperationException("The handshake has already handed over its session.");
        var keys = _keys!;
        var initiatorToResponder = new AesGcmCipherState(keys.InitiatorToResponderKey);
        var responderToInitiator = new AesGcmCipherState(keys.ResponderToInitiatorKey);
        var (sender, receiver) = Role == HandshakeRole.Initiator
            ? (initiatorToResponder, responderToInitiator)
            : (responderToInitiator, initiatorToResponder);
        var session = new SecureSession(RsaSecurity.Descriptor, sender, receiver, keys.HandshakeHash) { ProtocolName = RsaSecurity.ProtocolName };
        _split = true;
        keys.Dispose();
        _keys = null;
        return session;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Wipe();
    }

    // Responder, message 1.
    private void WritePublicKey(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        _publicKey = _keyPair!.ExportSubjectPublicKeyInfo();
        _firstMessage = [.. _publicKey, .. payload];
        output.Write(_firstMessage);
    }

    // Initiator, message 1.
    private byte[] ReadPublicKey(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxPublicKeyMessageSize)
            throw new HandshakeException(
                $"The peer's RSA public key message is {message.Length} bytes long, far longer than an RSA-2048 public key.");
        using var peerKey = RSA.Create();
        int bytesRead;
        try
        {
            peerKey.ImportSubjectPublicKeyInfo(message, out bytesRead);
        }
        catch (CryptographicException e)
        {
            throw new HandshakeException("The peer's RSA public key is malformed or truncated.", e);
        }
        if (message.Length - bytesRead > HandshakePayload.MaxSize)
            throw new HandshakeException("The peer's RSA public key message carries more than a handshake payload after the key.");
        if (peerKey.KeySize != RsaKeyPool.KeySizeInBits)
            throw new HandshakeException(
                $"The peer's RSA key has {peerKey.KeySize} bits, but rsa mode requires exactly {RsaKeyPool.KeySizeInBits}.");
        var exponent = peerKey.ExportParameters(includePrivateParameters: false).Exponent;
        if (!IsRequiredExponent(exponent))
            throw new HandshakeException("The peer's RSA key does not use the public exponent 65537 that rsa mode requires.");
        _publicKey = message[..bytesRead].ToArray();
        _firstMessage = message.ToArray();
        return message[bytesRead..].ToArray();
    }

    // Initiator, message 2.
    private void WriteSessionKey(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        using var peerKey = RSA.Create();
        peerKey.ImportSubjectPublicKeyInfo(_publicKey, out _);
        Span<byte> sessionKey = stackalloc byte[SessionKeySize];
        try
        {
            RandomNumberGenerator.Fill(sessionKey);
            var length = SessionKeyMessageSize + payload.Length;
            var message = output.GetSpan(length)[..length];
            var encryptedKey = message[..EncryptedKeySize];
            RsaOaep.Encrypt(peerKey, sessionKey, encryptedKey);
            _keys = RsaKeySchedule.Derive(_prologue, _firstMessage, encryptedKey, sessionKey);
            _keys.InitiatorMac(message.Slice(EncryptedKeySize, RsaKeySchedule.MacSize));
            _keys.SealPayload(initiator: true, payload, message[(EncryptedKeySize + RsaKeySchedule.MacSize)..]);
            output.Advance(length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    // Responder, message 2.
    private byte[] ReadSessionKey(ReadOnlySpan<byte> message)
    {
        if (message.Length < SessionKeyMessageSize || message.Length > SessionKeyMessageSize + HandshakePayload.MaxSize)
            throw new HandshakeException(
                $"The peer's encrypted session key message is {message.Length} bytes long instead of {SessionKeyMessageSize} to {SessionKeyMessageSize + HandshakePayload.MaxSize}.");
        var encryptedKey = message[..EncryptedKeySize];
        Span<byte> decrypted = stackalloc byte[EncryptedKeySize];
        try
        {
            // The key pair decrypts exactly once and is gone afterwards, so a failure here is no padding oracle.
            bool decryptedOk;
            int written;
            using (var keyPair = _keyPair!)
            {
                _keyPair = null;
                decryptedOk = RsaOaep.TryDecrypt(keyPair, encryptedKey, decrypted, out written);
            }
            if (!decryptedOk || written != SessionKeySize)
                throw new HandshakeException(
                    "The peer's session key does not decrypt with this side's RSA key: the connection was tampered with, or the peer uses a different protocol version or mode.");
            _keys = RsaKeySchedule.Derive(_prologue, _firstMessage, encryptedKey, decrypted[..SessionKeySize]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decrypted);
        }
        Span<byte> expected = stackalloc byte[RsaKeySchedule.MacSize];
        _keys.InitiatorMac(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, message.Slice(EncryptedKeySize, RsaKeySchedule.MacSize)))
            throw new HandshakeException(TamperedMessage);
        return OpenPayload(initiator: true, message[(EncryptedKeySize + RsaKeySchedule.MacSize)..]);
    }

    private byte[] OpenPayload(bool initiator, ReadOnlySpan<byte> sealedPayload)
    {
        var payload = new byte[sealedPayload.Length - PayloadTagSize];
        if (!_keys!.TryOpenPayload(initiator, sealedPayload, payload))
            throw new HandshakeException(TamperedMessage);
        return payload;
    }

    // Responder, message 3.
    private void WriteConfirmation(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        var length = ConfirmationMessageSize + payload.Length;
        var message = output.GetSpan(length)[..length];
        _keys!.ResponderMac(message[..RsaKeySchedule.MacSize]);
        _keys.SealPayload(initiator: false, payload, message[RsaKeySchedule.MacSize..]);
        output.Advance(length);
    }

    // Initiator, message 3.
    private byte[] ReadConfirmation(ReadOnlySpan<byte> message)
    {
        if (message.Length < ConfirmationMessageSize || message.Length > ConfirmationMessageSize + HandshakePayload.MaxSize)
            throw new HandshakeException(
                $"The peer's key confirmation is {message.Length} bytes long instead of {ConfirmationMessageSize} to {ConfirmationMessageSize + HandshakePayload.MaxSize}.");
        Span<byte> expected = stackalloc byte[RsaKeySchedule.MacSize];
        _keys!.ResponderMac(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, message[..RsaKeySchedule.MacSize]))
            throw new HandshakeException(TamperedMessage);
        return OpenPayload(initiator: false, message[RsaKeySchedule.MacSize..]);
    }

    private static bool IsRequiredExponent(ReadOnlySpan<byte> exponent)
    {
        var value = 0L;
        foreach (var b in exponent.TrimStart((byte)0))
        {
            if (value > int.MaxValue)
                return false;
            value = (value << 8) | b;
        }
        return value == RequiredExponent;
    }

    private void EnsureTurn(HandshakeStatus expected) => HandshakeTurn.Ensure(this, _disposed, _failed, expected);

    private void Fail()
    {
        _failed = true;
        Wipe();
    }

    private void Wipe()
    {
        _keyPair?.Dispose();
        _keyPair = null;
        _keys?.Dispose();
        _keys = null;
    }
}
