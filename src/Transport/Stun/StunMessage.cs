using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace SecretChat.Transport.Stun;

/// <summary>
/// A parsed STUN message (RFC 8489). It keeps its own copy of the datagram, so MESSAGE-INTEGRITY and FINGERPRINT
/// can be checked after parsing, and attribute values stay valid after the receive buffer is reused.
/// </summary>
public sealed class StunMessage
{
    /// <summary>
    /// The fixed value of bytes 4 to 7 of every RFC 8489 message; it tells STUN from other protocols on the same port.
    /// </summary>
    public const uint MagicCookie = 0x2112A442;
    /// <summary>Bytes in the header: type, length, magic cookie and transaction id.</summary>
    public const int HeaderLength = 20;
    private const uint FingerprintXor = 0x5354554e;
    private const int MessageIntegrityLength = 20;

    private readonly byte[] _raw;
    private readonly int _integrityOffset = -1;
    private readonly int _fingerprintOffset = -1;

    private StunMessage(byte[] raw)
    {
        _raw = raw;
        Type = StunMessageType.FromValue(BinaryPrimitives.ReadUInt16BigEndian(raw));
        TransactionId = StunTransactionId.Read(raw.AsSpan(8));

        var attributes = new List<StunAttribute>();
        var unknown = new List<ushort>();
        int offset = HeaderLength;
        while (offset < raw.Length)
        {
            if (raw.Length - offset < 4)
                throw new StunFormatException($"An attribute header at byte {offset} is cut short.");
            var type = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(offset));
            int length = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(offset + 2));
            int padded = (length + 3) & ~3;
            if (raw.Length - offset - 4 < padded)
                throw new StunFormatException($"Attribute 0x{type:x4} at byte {offset} claims {length} bytes but the message ends first.");
            if (_fingerprintOffset >= 0)
                throw new StunFormatException("FINGERPRINT must be the last attribute.");

            var value = new ReadOnlyMemory<byte>(raw, offset + 4, length);
            var afterIntegrity = _integrityOffset >= 0;
            switch (type)
            {
                case StunAttributeType.Fingerprint:
                    if (length != 4)
                        throw new StunFormatException($"FINGERPRINT must be 4 bytes, not {length}.");
                    _fingerprintOffset = offset;
                    break;
                case StunAttributeType.MessageIntegrity when !afterIntegrity:
                    if (length != MessageIntegrityLength)
                        throw new StunFormatException($"MESSAGE-INTEGRITY must be {MessageIntegrityLength} bytes, not {length}.");
                    _integrityOffset = offset;
                    break;
            }

            // RFC 8489 §14.5: everything after MESSAGE-INTEGRITY but FINGERPRINT (and the SHA-256 variant) is ignored.
            if (!afterIntegrity || type is StunAttributeType.Fingerprint or StunAttributeType.MessageIntegritySha256)
            {
                attributes.Add(new StunAttribute(type, value, offset));
                if (!StunAttributeType.IsKnown(type) && !unknown.Contains(type))
                    unknown.Add(type);
            }

            offset += 4 + padded;
        }

        Attributes = attributes;
        UnknownComprehensionRequired = unknown;

        // Decode the attributes we interpret now, so a malformed one is reported by Parse rather than later.
        if (Find(StunAttributeType.XorMappedAddress) is { } xor)
            XorMappedAddress = StunAddress.Decode(xor.Value.Span, xor: true, TransactionId, "XOR-MAPPED-ADDRESS");
        if (Find(StunAttributeType.MappedAddress) is { } mapped)
            MappedAddress = StunAddress.Decode(mapped.Value.Span, xor: false, TransactionId, "MAPPED-ADDRESS");
        if (Find(StunAttributeType.ErrorCode) is { } error)
            ErrorCode = DecodeErrorCode(error.Value.Span);
        if (Find(StunAttributeType.XorRelayedAddress) is { } relayed)
            XorRelayedAddress = StunAddress.Decode(relayed.Value.Span, xor: true, TransactionId, "XOR-RELAYED-ADDRESS");
        if (Find(StunAttributeType.XorPeerAddress) is { } peer)
            XorPeerAddress = StunAddress.Decode(peer.Value.Span, xor: true, TransactionId, "XOR-PEER-ADDRESS");
        if (Find(StunAttributeType.Lifetime) is { } lifetime)
        {
            if (lifetime.Value.Length != 4)
                throw new StunFormatException($"LIFETIME must be 4 bytes, not {lifetime.Value.Length}.");
            Lifetime = TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(lifetime.Value.Span));
        }

        if (Find(StunAttributeType.ChannelNumber) is { } channel)
        {
            if (channel.Value.Length != 4)
                throw new StunFormatException($"CHANNEL-NUMBER must be 4 bytes, not {channel.Value.Length}.");
            ChannelNumber = BinaryPrimitives.ReadUInt16BigEndian(channel.Value.Span);
        }

        if (Find(StunAttributeType.Data) is { } data)
            Data = data.Value;
        Software = FindText(StunAttributeType.Software);
        Username = FindText(StunAttributeType.Username);
        Realm = FindText(StunAttributeType.Realm);
        Nonce = FindText(StunAttributeType.Nonce);
    }

    /// <summary>The message's method and class.</summary>
    public StunMessageType Type { get; }

    /// <summary>The transaction id that pairs a response with its request.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>Every attribute in wire order (duplicates included; those after MESSAGE-INTEGRITY other than FINGERPRINT left out).</summary>
    public IReadOnlyList<StunAttribute> Attributes { get; }

    /// <summary>Comprehension-required attribute types (below 0x8000) this codec does not understand; a server answers 420 with them.</summary>
    public IReadOnlyList<ushort> UnknownComprehensionRequired { get; }

    /// <summary>The XOR-MAPPED-ADDRESS attribute, decoded, or <see langword="null"/> when absent.</summary>
    public IPEndPoint? XorMappedAddress { get; }

    /// <summary>The MAPPED-ADDRESS attribute, decoded, or <see langword="null"/> when absent.</summary>
    public IPEndPoint? MappedAddress { get; }

    /// <summary>The reflexive address the server saw: XOR-MAPPED-ADDRESS, else the RFC 3489 MAPPED-ADDRESS.</summary>
    public IPEndPoint? ReflexiveAddress => XorMappedAddress ?? MappedAddress;

    /// <summary>The XOR-RELAYED-ADDRESS attribute of a TURN Allocate response, decoded, or <see langword="null"/> when absent.</summary>
    public IPEndPoint? XorRelayedAddress { get; }

    /// <summary>The first XOR-PEER-ADDRESS attribute (TURN), decoded, or <see langword="null"/> when absent.</summary>
    public IPEndPoint? XorPeerAddress { get; }

    /// <summary>The LIFETIME attribute (TURN), or <see langword="null"/> when absent.</summary>
    public TimeSpan? Lifetime { get; }

    /// <summary>The channel number of the CHANNEL-NUMBER attribute (TURN), or <see langword="null"/> when absent.</summary>
    public ushort? ChannelNumber { get; }

    /// <summary>The DATA attribute's value (TURN Send and Data indications), or <see langword="null"/> when absent.</summary>
    public ReadOnlyMemory<byte>? Data { get; }

    /// <summary>The ERROR-CODE attribute, decoded, or <see langword="null"/> when absent.</summary>
    public StunErrorCode? ErrorCode { get; }

    /// <summary>The SOFTWARE attribute as text, or <see langword="null"/> when absent.</summary>
    public string? Software { get; }

    /// <summary>The USERNAME attribute as text, or <see langword="null"/> when absent.</summary>
    public string? Username { get; }

    /// <summary>The REALM attribute as text, or <see langword="null"/> when absent.</summary>
    public string? Realm { get; }

    /// <summary>The NONCE attribute as text, or <see langword="null"/> when absent.</summary>
    public string? Nonce { get; }

    /// <summary>Whether the message carries MESSAGE-INTEGRITY (present, not yet checked).</summary>
    public bool HasMessageIntegrity => _integrityOffset >= 0;

    /// <summary>Whether the message carries FINGERPRINT (present, not yet checked).</summary>
    public bool HasFingerprint => _fingerprintOffset >= 0;

    /// <summary>The whole message as received.</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    /// <summary>
    /// The demultiplexing check of RFC 8489 §7 / RFC 7983: top two bits zero, the magic cookie at bytes 4–7,
    /// and a length that is a multiple of 4 and matches the datagram. Session and signaling packets never pass it.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength
        && (datagram[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie
        && BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) is var length
        && (length & 3) == 0
        && length == datagram.Length - HeaderLength;

    /// <summary>Parses a complete STUN message (one datagram).</summary>
    /// <exception cref="StunFormatException">It is not a well-formed STUN message; the message says why.</exception>
    public static StunMessage Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength)
            throw new StunFormatException($"A STUN message is at least {HeaderLength} bytes; this one is {datagram.Length}.");
        if ((datagram[0] & 0xC0) != 0)
            throw new StunFormatException("The first two bits of a STUN message must be zero.");
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie)
            throw new StunFormatException("The magic cookie 0x2112A442 is missing (RFC 3489 messages are not accepted).");
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0)
            throw new StunFormatException($"The message length {length} is not a multiple of 4.");
        if (length != datagram.Length - HeaderLength)
            throw new StunFormatException($"The header says {length} bytes of attributes but the datagram carries {datagram.Length - HeaderLength}.");
        return new StunMessage(datagram.ToArray());
    }

    /// <summary>Parses without throwing: false for anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out StunMessage? message)
    {
        message = null;
        if (!IsStun(datagram))
            return false;
        try
        {
            message = Parse(datagram);
            return true;
        }
        catch (StunFormatException)
        {
            return false;
        }
    }

    /// <summary>The first attribute of a type, or null.</summary>
    public StunAttribute? Find(ushort type)
    {
        foreach (var attribute in Attributes)
        {
            if (attribute.Type == type)
                return attribute;
        }

        return null;
    }

    /// <summary>True when there is a FINGERPRINT and it equals CRC-32 of everything before it XOR 0x5354554e.</summary>
    public bool VerifyFingerprint()
    {
        if (_fingerprintOffset < 0)
            return false;
        var expected = StunCrc32.Compute(_raw.AsSpan(0, _fingerprintOffset)) ^ FingerprintXor;
        return BinaryPrimitives.ReadUInt32BigEndian(_raw.AsSpan(_fingerprintOffset + 4)) == expected;
    }

    /// <summary>
    /// True when there is a MESSAGE-INTEGRITY and it equals HMAC-SHA1 under <paramref name="key"/> of the message up to it,
    /// with the header length adjusted to end right after it (RFC 8489 §14.5). Compared in constant time.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityOffset < 0)
            return false;
        Span<byte> mac = stackalloc byte[MessageIntegrityLength];
        ComputeMessageIntegrity(_raw.AsSpan(0, _integrityOffset), key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, _raw.AsSpan(_integrityOffset + 4, MessageIntegrityLength));
    }

    /// <summary>HMAC-SHA1 over <paramref name="prefix"/> (header plus attributes before MESSAGE-INTEGRITY), length patched to include MESSAGE-INTEGRITY.</summary>
    internal static void ComputeMessageIntegrity(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        byte[] copy = prefix.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(2), (ushort)(prefix.Length - HeaderLength + 4 + MessageIntegrityLength));
#pragma warning disable CA5350 // HMAC-SHA1 is what RFC 8489 MESSAGE-INTEGRITY is.
        HMACSHA1.HashData(key, copy, destination);
#pragma warning restore CA5350
    }

    internal static uint ComputeFingerprint(ReadOnlySpan<byte> prefix) => StunCrc32.Compute(prefix) ^ FingerprintXor;

    /// <summary>The type, transaction id and size, for logs.</summary>
    public override string ToString() => $"STUN {Type} {TransactionId} ({_raw.Length} bytes)";

    private string? FindText(ushort type) =>
        Find(type) is { } attribute ? Encoding.UTF8.GetString(attribute.Value.Span) : null;

    private static StunErrorCode DecodeErrorCode(ReadOnlySpan<byte> value)
    {
        if (value.Length < 4)
            throw new StunFormatException($"ERROR-CODE is {value.Length} bytes; it needs at least 4.");
        int @class = value[2] & 0x07;
        int number = value[3];
        if (@class is < 3 or > 6 || number > 99)
            throw new StunFormatException($"ERROR-CODE {@class}{number:00} is outside 300–699.");
        return new StunErrorCode(@class * 100 + number, Encoding.UTF8.GetString(value[4..]));
    }
}
