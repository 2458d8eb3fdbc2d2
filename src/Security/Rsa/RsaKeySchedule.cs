using System.Buffers.Binary;
using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Rsa;

/// <summary>
/// The rsa mode's keys, all bound to the transcript:
/// <c>th = SHA-256(label || u32be(len prologue) || prologue || u32be(len publicKey) || publicKey || encryptedSessionKey)</c>
/// (lengths make the concatenation unambiguous; in protocol 2 "publicKey" is the whole first message, the key and the
/// responder's payload); <c>prk = HKDF-Extract(salt: th, ikm: sessionKey)</c>; six 32-byte keys expanded from prk
/// under distinct info strings; confirmation MACs are <c>HMAC-SHA-256(confirmKey, th)</c>; each side's handshake
/// payload is sealed once with AES-256-GCM under its payload key, nonce 0, associated data th.
/// </summary>
internal sealed class RsaKeySchedule : IDisposable
{
    public const int KeySize = 32;
    public const int MacSize = 32;

    internal static ReadOnlySpan<byte> Label => "SecretChat rsa v1"u8;
    private static ReadOnlySpan<byte> InitiatorToResponderInfo => "SecretChat rsa v1 initiator to responder"u8;
    private static ReadOnlySpan<byte> ResponderToInitiatorInfo => "SecretChat rsa v1 responder to initiator"u8;
    private static ReadOnlySpan<byte> InitiatorConfirmationInfo => "SecretChat rsa v1 initiator confirmation"u8;
    private static ReadOnlySpan<byte> ResponderConfirmationInfo => "SecretChat rsa v1 responder confirmation"u8;
    private static ReadOnlySpan<byte> InitiatorPayloadInfo => "SecretChat rsa v2 initiator payload"u8;
    private static ReadOnlySpan<byte> ResponderPayloadInfo => "SecretChat rsa v2 responder payload"u8;

    // One pinned block so that a single wipe clears every secret: i->r | r->i | i confirm | r confirm | i payload | r payload.
    private readonly byte[] _secrets = GC.AllocateUninitializedArray<byte>(6 * KeySize, pinned: true);

    private RsaKeySchedule(byte[] handshakeHash) => HandshakeHash = handshakeHash;

    /// <summary>The transcript hash (not secret): the session's channel binding.</summary>
    public byte[] HandshakeHash { get; }

    public ReadOnlySpan<byte> InitiatorToResponderKey => _secrets.AsSpan(0, KeySize);
    public ReadOnlySpan<byte> ResponderToInitiatorKey => _secrets.AsSpan(KeySize, KeySize);
    private ReadOnlySpan<byte> InitiatorConfirmationKey => _secrets.AsSpan(2 * KeySize, KeySize);
    private ReadOnlySpan<byte> ResponderConfirmationKey => _secrets.AsSpan(3 * KeySize, KeySize);
    private ReadOnlySpan<byte> InitiatorPayloadKey => _secrets.AsSpan(4 * KeySize, KeySize);
    private ReadOnlySpan<byte> ResponderPayloadKey => _secrets.AsSpan(5 * KeySize, KeySize);

    public static RsaKeySchedule Derive(
        ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> publicKey,
        ReadOnlySpan<byte> encryptedSessionKey,
        ReadOnlySpan<byte> sessionKey)
    {
        var schedule = new RsaKeySchedule(TranscriptHash(prologue, publicKey, encryptedSessionKey));
        Span<byte> prk = stackalloc byte[HkdfSha256.HashSize];
        try
        {
            HkdfSha256.Extract(sessionKey, schedule.HandshakeHash, prk);
            var secrets = schedule._secrets.AsSpan();
            HkdfSha256.Expand(prk, InitiatorToResponderInfo, secrets.Slice(0, KeySize));
            HkdfSha256.Expand(prk, ResponderToInitiatorInfo, secrets.Slice(KeySize, KeySize));
            HkdfSha256.Expand(prk, InitiatorConfirmationInfo, secrets.Slice(2 * KeySize, KeySize));
            HkdfSha256.Expand(prk, ResponderConfirmationInfo, secrets.Slice(3 * KeySize, KeySize));
            HkdfSha256.Expand(prk, InitiatorPayloadInfo, secrets.Slice(4 * KeySize, KeySize));
            HkdfSha256.Expand(prk, ResponderPayloadInfo, secrets.Slice(5 * KeySize, KeySize));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
        return schedule;
    }

    public void InitiatorMac(Span<byte> destination) => HMACSHA256.HashData(InitiatorConfirmationKey, HandshakeHash, destination);

    public void ResponderMac(Span<byte> destination) => HMACSHA256.HashData(ResponderConfirmationKey, HandshakeHash, destination);

    /// <summary>Seals a side's handshake payload: plaintext.Length + 16 bytes.</summary>
    public void SealPayload(bool initiator, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        using var cipher = new AesGcmCipherState(initiator ? InitiatorPayloadKey : ResponderPayloadKey);
        cipher.Seal(0, HandshakeHash, payload, destination);
    }

    /// <summary>Opens a side's sealed handshake payload; false when it does not authenticate.</summary>
    public bool TryOpenPayload(bool initiator, ReadOnlySpan<byte> sealedPayload, Span<byte> destination)
    {
        using var cipher = new AesGcmCipherState(initiator ? InitiatorPayloadKey : ResponderPayloadKey);
        return cipher.TryOpen(0, HandshakeHash, sealedPayload, destination);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_secrets);

    private static byte[] TranscriptHash(ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> encryptedSessionKey)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        hash.AppendData(Label);
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)prologue.Length);
        hash.AppendData(length);
        hash.AppendData(prologue);
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)publicKey.Length);
        hash.AppendData(length);
        hash.AppendData(publicKey);
        hash.AppendData(encryptedSessionKey);
        return hash.GetHashAndReset();
    }
}
