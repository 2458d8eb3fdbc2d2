using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Agreement.JPake;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace SecretChat.Security.Pairing;

/// <summary>
/// One side of a code pairing: J-PAKE (RFC 8236, BouncyCastle's implementation) keyed by the code, run inside an
/// established session, and a key confirmation bound to that session's handshake hash. Both sides send round 1 at
/// once, answer the peer's round 1 with round 2 and the peer's round 2 with a confirmation, and check the peer's
/// confirmation. A man in the middle holds two sessions with two handshake hashes: relaying the J-PAKE messages
/// unchanged gives both ends the same J-PAKE key but confirmations over different hashes, so it fails unless it
/// guessed the code and ran J-PAKE with each side itself (one online guess per attempt).
/// </summary>
/// <remarks>
/// Group: the 3072-bit prime-order group with a 256-bit subgroup (NIST, <see cref="JPakePrimeOrderGroups.NIST_3072"/>),
/// about 128-bit strength like the X25519 of the Noise handshake; J-PAKE over it costs a few tens of milliseconds per side
/// (measured in docs/SECURITY.md), small beside a network round trip. Participant ids are the two identity keys (hex), so a
/// proof made for one identity does not check for another. The confirmation key is HKDF-SHA256 of the J-PAKE keying
/// material with the handshake hash as salt; each side sends HMAC-SHA256 over its own key, the peer's key and the hash.
/// </remarks>
public sealed class CodePairing
{
    /// <summary>The first byte of round 1.</summary>
    public const byte Round1 = 1;

    /// <summary>The first byte of round 2.</summary>
    public const byte Round2 = 2;

    /// <summary>The first byte of the key confirmation.</summary>
    public const byte Confirmation = 3;

    /// <summary>The length of a confirmation message: the step byte and an HMAC-SHA256 tag.</summary>
    public const int ConfirmationLength = 1 + 32;

    /// <summary>The largest number a message may carry, in bytes: the group's modulus length.</summary>
    public const int MaxNumberLength = 384;

    /// <summary>The longest pairing message (round 1: six numbers, each behind a 16-bit length).</summary>
    public const int MaxMessageLength = 1 + (6 * (2 + MaxNumberLength));

    private static readonly JPakePrimeOrderGroup Group = JPakePrimeOrderGroups.NIST_3072;
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("SecretChat code pairing 1");
    private static readonly byte[] ConfirmLabel = Encoding.ASCII.GetBytes("SecretChat code pairing confirm");

    private readonly JPakeParticipant _participant;
    private readonly string _peerId;
    private readonly byte[] _localKey;
    private readonly byte[] _remoteKey;
    private readonly byte[] _handshakeHash;
    private byte[]? _confirmationKey;
    private byte _expected = Round1;

    /// <summary>
    /// Prepares one side of a pairing with <paramref name="code"/> inside a session whose identity keys are
    /// <paramref name="localKey"/> and <paramref name="remoteKey"/> and whose handshake hash is <paramref name="handshakeHash"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A key or the hash is empty, or both keys are the same.</exception>
    public CodePairing(PairingCode code, ReadOnlySpan<byte> localKey, ReadOnlySpan<byte> remoteKey, ReadOnlySpan<byte> handshakeHash, SecureRandom? random = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (localKey.IsEmpty || remoteKey.IsEmpty)
            throw new ArgumentException("Pairing by code needs the identity keys of both sides (the noise module).", nameof(localKey));
        if (localKey.SequenceEqual(remoteKey))
            throw new ArgumentException("Both sides have the same identity key.", nameof(remoteKey));
        if (handshakeHash.IsEmpty)
            throw new ArgumentException("Pairing by code needs the session's handshake hash.", nameof(handshakeHash));
        _localKey = localKey.ToArray();
        _remoteKey = remoteKey.ToArray();
        _handshakeHash = handshakeHash.ToArray();
        _peerId = Convert.ToHexStringLower(_remoteKey);
        // The words are the password; the nameplate is only the meeting point, which the server knows anyway.
        _participant = new JPakeParticipant(Convert.ToHexStringLower(_localKey), string.Join('-', code.Words).ToCharArray(), Group,
            new Sha256Digest(), random ?? new SecureRandom());
    }

    /// <summary>
    /// True once this side has made its confirmation: from then on the peer may learn whether the one code it tried was
    /// right, so a session that ends without <see cref="PairingProgress.Confirmed"/> counts as a spent guess.
    /// </summary>
    public bool HasMadeConfirmation => _expected > Round2;

    /// <summary>This side's round 1, to send as soon as the session is established.</summary>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public byte[] Start()
    {
        var round1 = _participant.CreateRound1PayloadToSend();
        return Write(Round1, round1.Gx1, round1.Gx2, round1.KnowledgeProofForX1[0], round1.KnowledgeProofForX1[1],
            round1.KnowledgeProofForX2[0], round1.KnowledgeProofForX2[1]);
    }

    /// <summary>
    /// Takes the peer's next message: round 1 (reply: round 2), round 2 (reply: the confirmation), or the confirmation
    /// (<see cref="PairingProgress.Confirmed"/> or <see cref="PairingProgress.Mismatch"/>, no reply).
    /// </summary>
    /// <exception cref="InvalidDataException">The message is malformed, out of order, or its proofs do not check.</exception>
    public PairingProgress Receive(ReadOnlySpan<byte> message, out byte[]? reply)
    {
        reply = null;
        if (message.IsEmpty || message[0] != _expected)
            throw new InvalidDataException(_expected > Confirmation
                ? "a pairing message came after the pairing was over"
                : $"a pairing message came out of order (expected step {_expected}, got {(message.IsEmpty ? "nothing" : message[0].ToString(System.Globalization.CultureInfo.InvariantCulture))})");
        try
        {
            switch (_expected)
            {
                case Round1:
                    var r1 = Read(message, 6);
                    _participant.ValidateRound1PayloadReceived(new JPakeRound1Payload(_peerId, r1[0], r1[1], [r1[2], r1[3]], [r1[4], r1[5]]));
                    var round2 = _participant.CreateRound2PayloadToSend();
                    reply = Write(Round2, round2.A, round2.KnowledgeProofForX2s[0], round2.KnowledgeProofForX2s[1]);
                    _expected = Round2;
                    return PairingProgress.Continue;
                case Round2:
                    var r2 = Read(message, 3);
                    _participant.ValidateRound2PayloadReceived(new JPakeRound2Payload(_peerId, r2[0], [r2[1], r2[2]]));
                    _confirmationKey = ConfirmationKey(_participant.CalculateKeyingMaterial(), _handshakeHash);
                    reply = [Confirmation, .. Tag(_confirmationKey, _localKey, _remoteKey, _handshakeHash)];
                    _expected = Confirmation;
                    return PairingProgress.Continue;
                default:
                    _expected = Confirmation + 1;
                    if (message.Length != ConfirmationLength)
                        throw new InvalidDataException($"a pairing confirmation was {message.Length} bytes, not {ConfirmationLength}");
                    var expected = Tag(_confirmationKey!, _remoteKey, _localKey, _handshakeHash);
                    return CryptographicOperations.FixedTimeEquals(expected, message[1..]) ? PairingProgress.Confirmed : PairingProgress.Mismatch;
            }
        }
        catch (CryptoException e)
        {
            _expected = Confirmation + 1;
            throw new InvalidDataException("a pairing message's proof did not check", e);
        }
    }

    /// <summary>HKDF-SHA256 of the J-PAKE keying material (fixed length), salted with the handshake hash.</summary>
    internal static byte[] ConfirmationKey(BigInteger keyingMaterial, ReadOnlySpan<byte> handshakeHash)
    {
        var ikm = new byte[MaxNumberLength];
        var magnitude = keyingMaterial.ToByteArrayUnsigned();
        magnitude.CopyTo(ikm.AsSpan(ikm.Length - magnitude.Length));
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, handshakeHash.ToArray(), KeyInfo);
        CryptographicOperations.ZeroMemory(ikm);
        return key;
    }

    /// <summary>HMAC-SHA256 under the confirmation key over a label, the sender's key, the receiver's key and the hash.</summary>
    internal static byte[] Tag(byte[] key, ReadOnlySpan<byte> senderKey, ReadOnlySpan<byte> receiverKey, ReadOnlySpan<byte> handshakeHash)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(ConfirmLabel);
        AppendWithLength(hmac, senderKey);
        AppendWithLength(hmac, receiverKey);
        AppendWithLength(hmac, handshakeHash);
        return hmac.GetHashAndReset();
    }

    private static void AppendWithLength(IncrementalHash hmac, ReadOnlySpan<byte> part)
    {
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)part.Length);
        hmac.AppendData(length);
        hmac.AppendData(part);
    }

    private static byte[] Write(byte step, params BigInteger[] numbers)
    {
        var parts = numbers.Select(n => n.ToByteArrayUnsigned()).ToArray();
        var message = new byte[1 + parts.Sum(p => 2 + p.Length)];
        message[0] = step;
        var at = 1;
        foreach (var part in parts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(at), (ushort)part.Length);
            part.CopyTo(message.AsSpan(at + 2));
            at += 2 + part.Length;
        }
        return message;
    }

    private static BigInteger[] Read(ReadOnlySpan<byte> message, int count)
    {
        var numbers = new BigInteger[count];
        var rest = message[1..];
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 2)
                throw new InvalidDataException($"a pairing message (step {message[0]}) was cut short");
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest);
            if (length is 0 or > MaxNumberLength || rest.Length < 2 + length)
                throw new InvalidDataException($"a pairing message (step {message[0]}) held a number of {length} bytes (1 to {MaxNumberLength} allowed, within the message)");
            numbers[i] = new BigInteger(1, rest.Slice(2, length));
            rest = rest[(2 + length)..];
        }
        if (!rest.IsEmpty)
            throw new InvalidDataException($"a pairing message (step {message[0]}) had {rest.Length} bytes too many");
        return numbers;
    }
}
