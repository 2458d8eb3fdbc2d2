using System.Buffers;
using System.Buffers.Binary;

namespace SecretChat.Framing.Packets;

/// <summary>
/// Encodes and decodes the datagrams of the UDP session. Pure and allocation-free: a datagram is
/// always whole, so "too short" is a malformed packet (false with <see cref="PacketError.Truncated"/>),
/// never "wait for more".
/// </summary>
/// <remarks>
/// Layouts (integers big-endian):
/// <code>
/// Handshake  [1][sender session id u32][message index u8][handshake bytes, at least 1]   header 6
/// Data       [2][receiver session id u32][counter u64][sealed payload]                    header 13 (the AEAD's associated data)
/// Reject     [3][refused session id u32][reason UTF-8, at most 256 bytes]                 header 5
/// Hello      [4][sender session id u32][cookie 16, zero: none][hello bytes, at least 1]  header 5 (the initiator's message 0)
/// Cookie     [5][answered session id u32][cookie 16]                                      header 5, 21 bytes exactly
/// </code>
/// </remarks>
public static class PacketCodec
{
    /// <summary>The largest datagram of the session (fits every path MTU worth caring about, as QUIC assumes).</summary>
    public const int MaxDatagramSize = 1200;

    /// <summary>
    /// Bytes in the header of a <see cref="PacketType.Handshake"/> packet: type, sender session id and message index.
    /// </summary>
    public const int HandshakeHeaderSize = 6;
    /// <summary>
    /// Bytes in the header of a <see cref="PacketType.Data"/> packet: type, receiver session id and counter; the AEAD's
    /// associated data.
    /// </summary>
    public const int DataHeaderSize = 13;
    /// <summary>Bytes in the header of a <see cref="PacketType.Reject"/> packet: type and refused session id.</summary>
    public const int RejectHeaderSize = 5;
    /// <summary>The longest reason a <see cref="PacketType.Reject"/> packet carries, in bytes of UTF-8.</summary>
    public const int MaxRejectReasonSize = 256;

    /// <summary>Bytes in the header of a <see cref="PacketType.InitiatorHello"/> packet: type and sender session id.</summary>
    public const int InitiatorHelloHeaderSize = 5;
    /// <summary>Bytes in the header of a <see cref="PacketType.Cookie"/> packet: type and the answered hello's session id.</summary>
    public const int CookieHeaderSize = 5;
    /// <summary>Bytes of a return-routability cookie (in a <see cref="PacketType.Cookie"/> packet and an initiator's hello).</summary>
    public const int CookieSize = 16;
    /// <summary>
    /// Bytes of a whole <see cref="PacketType.Cookie"/> packet: smaller than every <see cref="PacketType.InitiatorHello"/>
    /// packet, so the answer to a hello is never larger than the hello.
    /// </summary>
    public const int CookiePacketSize = CookieHeaderSize + CookieSize;
    /// <summary>The smallest <see cref="PacketType.InitiatorHello"/> packet: header, cookie and one byte of hello.</summary>
    public const int MinInitiatorHelloSize = InitiatorHelloHeaderSize + CookieSize + 1;

    /// <summary>The largest handshake message one datagram carries.</summary>
    public const int MaxHandshakeMessageSize = MaxDatagramSize - HandshakeHeaderSize;

    /// <summary>The header size, in bytes, of a packet of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a defined <see cref="PacketType"/>.</exception>
    public static int HeaderSize(PacketType type) => type switch
    {
        PacketType.Handshake => HandshakeHeaderSize,
        PacketType.Data => DataHeaderSize,
        PacketType.Reject => RejectHeaderSize,
        PacketType.InitiatorHello => InitiatorHelloHeaderSize,
        PacketType.Cookie => CookieHeaderSize,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown packet type."),
    };

    /// <summary>Decodes a datagram; <paramref name="body"/> is the rest after the header (a slice of the input).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out PacketHeader header, out ReadOnlySpan<byte> body, out PacketError error)
    {
        body = default;
        if (!TryDecodeHeader(datagram, datagram.Length, out header, out error))
            return false;
        body = datagram[header.Size..];
        return true;
    }

    /// <summary>Decodes a datagram held in a sequence (any segmentation); <paramref name="body"/> is a slice of the input.</summary>
    public static bool TryDecode(in ReadOnlySequence<byte> datagram, out PacketHeader header, out ReadOnlySequence<byte> body, out PacketError error)
    {
        body = default;
        if (datagram.Length > MaxDatagramSize)
        {
            header = default;
            error = PacketError.Oversize;
            return false;
        }
        Span<byte> head = stackalloc byte[DataHeaderSize];
        var available = (int)Math.Min(datagram.Length, DataHeaderSize);
        datagram.Slice(0, available).CopyTo(head);
        if (!TryDecodeHeader(head[..available], (int)datagram.Length, out header, out error))
            return false;
        body = datagram.Slice(header.Size);
        return true;
    }

    /// <summary>Decodes a datagram or throws <see cref="InvalidDataException"/> (which is sealed, so the reason is in its message).</summary>
    public static PacketHeader Decode(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> body) =>
        TryDecode(datagram, out var header, out body, out var error)
            ? header
            : throw new InvalidDataException($"The datagram is not a SecretChat packet ({error}).");

    /// <summary>Writes <paramref name="header"/> and returns its size.</summary>
    public static int WriteHeader(in PacketHeader header, Span<byte> destination)
    {
        var size = header.Size;
        if (destination.Length < size)
            throw new ArgumentException("The destination is too small for the header.", nameof(destination));
        destination[0] = (byte)header.Type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], header.SessionId);
        if (header.Type == PacketType.Handshake)
            destination[5] = header.MessageIndex;
        else if (header.Type == PacketType.Data)
            BinaryPrimitives.WriteUInt64BigEndian(destination[5..], header.Counter);
        return size;
    }

    /// <summary>Writes a whole packet and returns its size; throws when it would not fit one datagram.</summary>
    public static int Encode(in PacketHeader header, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var size = EncodedSize(header, body.Length);
        if (destination.Length < size)
            throw new ArgumentException("The destination is too small for the packet.", nameof(destination));
        WriteHeader(header, destination);
        body.CopyTo(destination[header.Size..]);
        return size;
    }

    /// <summary>Writes a whole packet to <paramref name="output"/>; throws when it would not fit one datagram.</summary>
    public static void Encode(in PacketHeader header, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = EncodedSize(header, body.Length);
        Encode(header, body, output.GetSpan(size));
        output.Advance(size);
    }

    /// <summary>The size of a packet with a body of <paramref name="bodyLength"/> bytes; throws when it is not a valid packet.</summary>
    public static int EncodedSize(in PacketHeader header, int bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        var size = header.Size + bodyLength;
        if (size > MaxDatagramSize)
            throw new ArgumentException($"A packet of {size} bytes does not fit one datagram of {MaxDatagramSize} bytes.", nameof(bodyLength));
        if (header.Type == PacketType.Handshake && bodyLength == 0)
            throw new ArgumentException("A handshake packet carries a message.", nameof(bodyLength));
        if (header.Type == PacketType.Reject && bodyLength > MaxRejectReasonSize)
            throw new ArgumentException($"A reject reason is at most {MaxRejectReasonSize} bytes.", nameof(bodyLength));
        if (header.Type == PacketType.InitiatorHello && bodyLength <= CookieSize)
            throw new ArgumentException($"An initiator's hello carries a cookie of {CookieSize} bytes and a hello.", nameof(bodyLength));
        if (header.Type == PacketType.Cookie && bodyLength != CookieSize)
            throw new ArgumentException($"A cookie packet carries exactly {CookieSize} bytes.", nameof(bodyLength));
        return size;
    }

    private static bool TryDecodeHeader(ReadOnlySpan<byte> head, int totalLength, out PacketHeader header, out PacketError error)
    {
        header = default;
        if (totalLength == 0)
        {
            error = PacketError.Empty;
            return false;
        }
        if (totalLength > MaxDatagramSize)
        {
            error = PacketError.Oversize;
            return false;
        }
        var type = (PacketType)head[0];
        switch (type)
        {
            case PacketType.Handshake:
                if (totalLength <= HandshakeHeaderSize)
                    break;
                header = PacketHeader.Handshake(BinaryPrimitives.ReadUInt32BigEndian(head[1..]), head[5]);
                error = PacketError.None;
                return true;
            case PacketType.Data:
                if (totalLength < DataHeaderSize)
                    break;
                header = PacketHeader.Data(BinaryPrimitives.ReadUInt32BigEndian(head[1..]), BinaryPrimitives.ReadUInt64BigEndian(head[5..]));
                error = PacketError.None;
                return true;
            case PacketType.Reject:
                if (totalLength < RejectHeaderSize)
                    break;
                if (totalLength - RejectHeaderSize > MaxRejectReasonSize)
                {
                    error = PacketError.Oversize;
                    return false;
                }
                header = PacketHeader.Reject(BinaryPrimitives.ReadUInt32BigEndian(head[1..]));
                error = PacketError.None;
                return true;
            case PacketType.InitiatorHello:
                if (totalLength < MinInitiatorHelloSize)
                    break;
                header = PacketHeader.InitiatorHello(BinaryPrimitives.ReadUInt32BigEndian(head[1..]));
                error = PacketError.None;
                return true;
            case PacketType.Cookie:
                if (totalLength < CookiePacketSize)
                    break;
                if (totalLength > CookiePacketSize)
                {
                    error = PacketError.Oversize;
                    return false;
                }
                header = PacketHeader.Cookie(BinaryPrimitives.ReadUInt32BigEndian(head[1..]));
                error = PacketError.None;
                return true;
            default:
                error = PacketError.UnknownType;
                return false;
        }
        error = PacketError.Truncated;
        return false;
    }
}
