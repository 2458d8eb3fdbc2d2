using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Rsa;

/// <summary>
/// One side of the rsa-mode handshake (see <see cref="RsaSecurity"/>):
/// <code>
/// R -> I: responder's fresh RSA-2048 public key (SubjectPublicKeyInfo DER, 294 bytes)
/// I -> R: RSA-OAEP-SHA256(16-byte session key) (256 bytes) || HMAC(initiator confirm key, th) (32 bytes)
/// R -> I: HMAC(responder confirm key, th) (32 bytes)
/// </code>
/// </summary>
internal sealed class RsaHandshake : IHandshake
{
    public const int SessionKeySize = 16;
    public const int EncryptedKeySize = RsaKeyPool.KeySizeInBits / 8;
    public const int SessionKeyMessageSize = EncryptedKeySize + RsaKeySchedule.MacSize;
    public const int ConfirmationMessageSize = RsaKeySchedule.MacSize;

    /// <summary>A 2048-bit key with exponent 65537 encodes in 294 bytes; anything far longer is refused before parsing.</summary>
    public const int MaxPublicKeyMessageSize = 1024;

    private const int RequiredExponent = 65537;

    internal const string TamperedMessage =
        "The handshake does not verify: the connection was tampered with, or the peer uses a different protocol version or mode.";

    private enum Step { PublicKey, SessionKey, Confirmation, Complete }

    private readonly byte[] _prologue;
    private RSA? _keyPair; // the responder's private key, until it has decrypted the session key
    private byte[]? _publicKey;
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

    public void WriteMessage(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureTurn(HandshakeStatus.MustWrite);
        try
        {
            switch (_step)
            {
                case Step.PublicKey: WritePublicKey(output); _step = Step.SessionKey; break;
                case Step.SessionKey: WriteSessionKey(output); _step = Step.Confirmation; break;
                case Step.Confirmation: WriteConfirmation(output); _step = Step.Complete; break;
            }
        }
        catch
        {
            Fail();
            throw;
        }
    }

    public void ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(HandshakeStatus.MustRead);
        try
        {
            switch (_step)
            {
                case Step.PublicKey: ReadPublicKey(message); _step = Step.SessionKey; break;
                case Step.SessionKey: ReadSessionKey(message); _step = Step.Confirmation; break;
                case Step.Confirmation: ReadConfirmation(message); _step = Step.Complete; break;
            }
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
        var session = Role == HandshakeRole.Initiator
            ? new SecureSession(RsaSecurity.Descriptor, initiatorToResponder, responderToInitiator, keys.HandshakeHash)
            : new SecureSession(RsaSecurity.Descriptor, responderToInitiator, initiatorToResponder, keys.HandshakeHash);
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
    private void WritePublicKey(IBufferWriter<byte> output)
    {
        _publicKey = _keyPair!.ExportSubjectPublicKeyInfo();
        output.Write(_publicKey);
    }

    // Initiator, message 1.
    private void ReadPublicKey(ReadOnlySpan<byte> message)
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
        if (bytesRead != message.Length)
            throw new HandshakeException("The peer's RSA public key message carries extra bytes after the key.");
        if (peerKey.KeySize != RsaKeyPool.KeySizeInBits)
            throw new HandshakeException(
                $"The peer's RSA key has {peerKey.KeySize} bits, but rsa mode requires exactly {RsaKeyPool.KeySizeInBits}.");
        var exponent = peerKey.ExportParameters(includePrivateParameters: false).Exponent;
        if (!IsRequiredExponent(exponent))
            throw new HandshakeException("The peer's RSA key does not use the public exponent 65537 that rsa mode requires.");
        _publicKey = message.ToArray();
    }

    // Initiator, message 2.
    private void WriteSessionKey(IBufferWriter<byte> output)
    {
        using var peerKey = RSA.Create();
        peerKey.ImportSubjectPublicKeyInfo(_publicKey, out _);
        Span<byte> sessionKey = stackalloc byte[SessionKeySize];
        try
        {
            RandomNumberGenerator.Fill(sessionKey);
            var message = output.GetSpan(SessionKeyMessageSize)[..SessionKeyMessageSize];
            var encryptedKey = message[..EncryptedKeySize];
            RsaOaep.Encrypt(peerKey, sessionKey, encryptedKey);
            _keys = RsaKeySchedule.Derive(_prologue, _publicKey, encryptedKey, sessionKey);
            _keys.InitiatorMac(message[EncryptedKeySize..]);
            output.Advance(SessionKeyMessageSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    // Responder, message 2.
    private void ReadSessionKey(ReadOnlySpan<byte> message)
    {
        if (message.Length != SessionKeyMessageSize)
            throw new HandshakeException(
                $"The peer's encrypted session key message is {message.Length} bytes long instead of {SessionKeyMessageSize}.");
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
            _keys = RsaKeySchedule.Derive(_prologue, _publicKey, encryptedKey, decrypted[..SessionKeySize]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decrypted);
        }
        Span<byte> expected = stackalloc byte[RsaKeySchedule.MacSize];
        _keys.InitiatorMac(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, message[EncryptedKeySize..]))
            throw new HandshakeException(TamperedMessage);
    }

    // Responder, message 3.
    private void WriteConfirmation(IBufferWriter<byte> output)
    {
        var message = output.GetSpan(ConfirmationMessageSize)[..ConfirmationMessageSize];
        _keys!.ResponderMac(message);
        output.Advance(ConfirmationMessageSize);
    }

    // Initiator, message 3.
    private void ReadConfirmation(ReadOnlySpan<byte> message)
    {
        if (message.Length != ConfirmationMessageSize)
            throw new HandshakeException(
                $"The peer's key confirmation is {message.Length} bytes long instead of {ConfirmationMessageSize}.");
        Span<byte> expected = stackalloc byte[RsaKeySchedule.MacSize];
        _keys!.ResponderMac(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, message))
            throw new HandshakeException(TamperedMessage);
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
