using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SecretChat.Transport.Stun;

/// <summary>
/// Writes a STUN message attribute by attribute. MESSAGE-INTEGRITY and FINGERPRINT are computed over what was written
/// before them, so add them last (FINGERPRINT very last). Padding is written as zeros.
/// </summary>
public sealed class StunMessageBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(128);
    private bool _hasIntegrity;
    private bool _hasFingerprint;

    /// <summary>Starts a message of <paramref name="type"/> with <paramref name="transactionId"/> and no attributes.</summary>
    /// <param name="type">The method and class.</param>
    /// <param name="transactionId">The id that pairs a response with its request: <see cref="StunTransactionId.New"/> for a request, the request's for a response.</param>
    public StunMessageBuilder(StunMessageType type, StunTransactionId transactionId)
    {
        Type = type;
        TransactionId = transactionId;
        var header = _buffer.GetSpan(StunMessage.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(header, type.Value);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], StunMessage.MagicCookie);
        transactionId.WriteTo(header[8..]);
        _buffer.Advance(StunMessage.HeaderLength);
    }

    /// <summary>The message's method and class.</summary>
    public StunMessageType Type { get; }

    /// <summary>The message's transaction id.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>Adds an attribute of <paramref name="type"/> with <paramref name="value"/> (copied), padded to four bytes.</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">FINGERPRINT was added, or MESSAGE-INTEGRITY was and this is not FINGERPRINT.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is longer than 65535 bytes.</exception>
    public StunMessageBuilder AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        if (_hasFingerprint)
            throw new InvalidOperationException("FINGERPRINT must be the last attribute.");
        if (_hasIntegrity && type != StunAttributeType.Fingerprint)
            throw new InvalidOperationException("Only FINGERPRINT may follow MESSAGE-INTEGRITY.");
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException("An attribute value is at most 65535 bytes.", nameof(value));
        int padded = (value.Length + 3) & ~3;
        var span = _buffer.GetSpan(4 + padded)[..(4 + padded)];
        BinaryPrimitives.WriteUInt16BigEndian(span, type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)value.Length);
        value.CopyTo(span[4..]);
        span[(4 + value.Length)..].Clear();
        _buffer.Advance(4 + padded);
        SetLength();
        return this;
    }

    /// <summary>
    /// Adds XOR-MAPPED-ADDRESS: <paramref name="endPoint"/> XORed as RFC 8489 §14.2 says. Returns this builder.
    /// </summary>
    public StunMessageBuilder AddXorMappedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorMappedAddress, endPoint, xor: true);

    /// <summary>Adds MAPPED-ADDRESS: <paramref name="endPoint"/> in the clear. Returns this builder.</summary>
    public StunMessageBuilder AddMappedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.MappedAddress, endPoint, xor: false);

    /// <summary>Adds XOR-RELAYED-ADDRESS (TURN): <paramref name="endPoint"/> XORed like XOR-MAPPED-ADDRESS. Returns this builder.</summary>
    public StunMessageBuilder AddXorRelayedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorRelayedAddress, endPoint, xor: true);

    /// <summary>Adds XOR-PEER-ADDRESS (TURN): <paramref name="endPoint"/> XORed like XOR-MAPPED-ADDRESS. Returns this builder.</summary>
    public StunMessageBuilder AddXorPeerAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorPeerAddress, endPoint, xor: true);

    /// <summary>Adds LIFETIME (TURN): <paramref name="lifetime"/> in whole seconds (rounded down). Returns this builder.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is negative or beyond 2^32−1 seconds.</exception>
    public StunMessageBuilder AddLifetime(TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime.TotalSeconds, uint.MaxValue, nameof(lifetime));
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, (uint)lifetime.TotalSeconds);
        return AddAttribute(StunAttributeType.Lifetime, value);
    }

    /// <summary>Adds REQUESTED-TRANSPORT (TURN): the IP protocol number, 17 for UDP. Returns this builder.</summary>
    public StunMessageBuilder AddRequestedTransport(byte protocol)
    {
        Span<byte> value = [protocol, 0, 0, 0];
        return AddAttribute(StunAttributeType.RequestedTransport, value);
    }

    /// <summary>Adds CHANNEL-NUMBER (TURN): <paramref name="channel"/> and two zero bytes. Returns this builder.</summary>
    public StunMessageBuilder AddChannelNumber(ushort channel)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(value, channel);
        value[2..].Clear();
        return AddAttribute(StunAttributeType.ChannelNumber, value);
    }

    /// <summary>Adds DATA (TURN Send and Data indications): <paramref name="data"/>, copied. Returns this builder.</summary>
    public StunMessageBuilder AddData(ReadOnlySpan<byte> data) => AddAttribute(StunAttributeType.Data, data);

    /// <summary>Adds SOFTWARE, <paramref name="software"/> in UTF-8. Returns this builder.</summary>
    public StunMessageBuilder AddSoftware(string software) => AddText(StunAttributeType.Software, software);

    /// <summary>Adds USERNAME, <paramref name="username"/> in UTF-8. Returns this builder.</summary>
    public StunMessageBuilder AddUsername(string username) => AddText(StunAttributeType.Username, username);

    /// <summary>Adds REALM, <paramref name="realm"/> in UTF-8. Returns this builder.</summary>
    public StunMessageBuilder AddRealm(string realm) => AddText(StunAttributeType.Realm, realm);

    /// <summary>Adds NONCE, <paramref name="nonce"/> in UTF-8. Returns this builder.</summary>
    public StunMessageBuilder AddNonce(string nonce) => AddText(StunAttributeType.Nonce, nonce);

    /// <summary>Adds ERROR-CODE with <paramref name="code"/> and <paramref name="reason"/> (UTF-8).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is outside 300 to 699.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is null.</exception>
    public StunMessageBuilder AddErrorCode(int code, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, 699);
        ArgumentNullException.ThrowIfNull(reason);
        var text = Encoding.UTF8.GetBytes(reason);
        var value = new byte[4 + text.Length];
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        text.CopyTo(value, 4);
        return AddAttribute(StunAttributeType.ErrorCode, value);
    }

    /// <summary>Adds UNKNOWN-ATTRIBUTES listing <paramref name="types"/>, for a 420 error response.</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="types"/> is null.</exception>
    public StunMessageBuilder AddUnknownAttributes(IReadOnlyList<ushort> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var value = new byte[types.Count * 2];
        for (var i = 0; i < types.Count; i++)
            BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(i * 2), types[i]);
        return AddAttribute(StunAttributeType.UnknownAttributes, value);
    }

    /// <summary>Adds MESSAGE-INTEGRITY: HMAC-SHA1 under <paramref name="key"/> (see <see cref="StunCredentials"/>).</summary>
    public StunMessageBuilder AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        Span<byte> mac = stackalloc byte[20];
        StunMessage.ComputeMessageIntegrity(_buffer.WrittenSpan, key, mac);
        AddAttribute(StunAttributeType.MessageIntegrity, mac);
        _hasIntegrity = true;
        return this;
    }

    /// <summary>Adds FINGERPRINT (CRC-32 XOR 0x5354554e); nothing can be added after it.</summary>
    public StunMessageBuilder AddFingerprint()
    {
        // The CRC covers the header with its length already counting the FINGERPRINT attribute.
        var header = _buffer.WrittenSpan;
        byte[] prefix = header.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(prefix.AsSpan(2), (ushort)(prefix.Length - StunMessage.HeaderLength + 8));
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, StunMessage.ComputeFingerprint(prefix));
        AddAttribute(StunAttributeType.Fingerprint, value);
        _hasFingerprint = true;
        return this;
    }

    /// <summary>The message written so far, as a new array the caller owns.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Writes the message written so far to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(_buffer.WrittenSpan);
    }

    private StunMessageBuilder AddAddress(ushort type, IPEndPoint endPoint, bool xor)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        endPoint = StunAddress.Normalize(endPoint);
        Span<byte> value = stackalloc byte[StunAddress.EncodedLength(endPoint)];
        StunAddress.Encode(endPoint, xor, TransactionId, value);
        return AddAttribute(type, value);
    }

    private StunMessageBuilder AddText(ushort type, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddAttribute(type, Encoding.UTF8.GetBytes(text));
    }

    private void SetLength()
    {
        // ArrayBufferWriter exposes no writable view of what is written, so patch the length through the written memory.
        var written = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_buffer.WrittenMemory);
        BinaryPrimitives.WriteUInt16BigEndian(written.Span[2..], (ushort)(_buffer.WrittenCount - StunMessage.HeaderLength));
    }
}
