using System.Buffers.Binary;

namespace SecretChat.Transport.Reliability;

/// <summary>
/// The reliability protocol's packets, carried inside one sealed (already authenticated) payload.
/// </summary>
/// <remarks>
/// All integers are big-endian. Byte 0 is <c>version &lt;&lt; 4 | type</c>; version is 1, and a payload of
/// any other version or type is dropped, so the protocol can grow without confusing an old peer.
/// <code>
/// DATA      0x11  flags u8 | seq u32 | ack u32 | fragment bytes (the rest, may be empty)    header 10
///                 flags: 0x01 FIRST fragment of a message, 0x02 LAST fragment (both: a whole message)
/// ACK       0x12  ack u32 | count u8 | count x (gap u16, length u16)                        6 + 4n
/// KEEPALIVE 0x13  ack u32                                                                    5
/// CLOSE     0x14  seq u32 | ack u32                                                          9
/// </code>
/// <c>seq</c> numbers DATA and CLOSE packets in one space, from 0, one per packet (a message of n
/// fragments takes n consecutive numbers); CLOSE is sequenced like data so it arrives after
/// everything sent before it, and nothing may follow it. <c>ack</c> is the next sequence number the
/// sender of the packet expects (everything below it arrived); every packet carries it, so acks ride
/// on data for free. Both are the low 32 bits of a 64-bit counter, widened by the receiver to the
/// value nearest the one it expects (windows are far below 2^31, so this is unambiguous).
/// ACK adds selective ranges above <c>ack</c>, lowest first: the first starts <c>gap</c> after
/// <c>ack</c>, each next one <c>gap</c> after the end of the previous; gaps and lengths are at least 1.
/// Ranges that do not fit are left out (the lowest holes matter most). KEEPALIVE asks for an ACK at
/// once, so both peers see traffic. Exact lengths are enforced for every type but DATA.
/// </remarks>
internal readonly ref struct ReliabilityPacket
{
    public const byte Version = 1;
    public const int DataHeaderSize = 10;
    public const int AckHeaderSize = 6;
    public const int AckRangeSize = 4;
    public const int KeepAliveSize = 5;
    public const int CloseSize = 9;
    public const byte FirstFlag = 0x01;
    public const byte LastFlag = 0x02;

    public ReliabilityPacketType Type { get; init; }
    public byte Flags { get; init; }
    public uint Sequence { get; init; }
    public uint Ack { get; init; }
    /// <summary>DATA: the fragment bytes.</summary>
    public ReadOnlySpan<byte> Data { get; init; }
    /// <summary>ACK: the raw (gap, length) pairs.</summary>
    public ReadOnlySpan<byte> Ranges { get; init; }

    public int RangeCount => Ranges.Length / AckRangeSize;

    public (ushort Gap, ushort Length) Range(int index)
    {
        var range = Ranges.Slice(index * AckRangeSize, AckRangeSize);
        return (BinaryPrimitives.ReadUInt16BigEndian(range), BinaryPrimitives.ReadUInt16BigEndian(range[2..]));
    }

    /// <summary>Parses a payload; <see langword="false"/> for anything truncated, unknown or inconsistent.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out ReliabilityPacket packet)
    {
        packet = default;
        if (payload.IsEmpty || payload[0] >> 4 != Version)
            return false;
        switch ((ReliabilityPacketType)(payload[0] & 0x0F))
        {
            case ReliabilityPacketType.Data:
                if (payload.Length < DataHeaderSize || (payload[1] & ~(FirstFlag | LastFlag)) != 0)
                    return false;
                packet = new ReliabilityPacket
                {
                    Type = ReliabilityPacketType.Data,
                    Flags = payload[1],
                    Sequence = BinaryPrimitives.ReadUInt32BigEndian(payload[2..]),
                    Ack = BinaryPrimitives.ReadUInt32BigEndian(payload[6..]),
                    Data = payload[DataHeaderSize..],
                };
                return true;
            case ReliabilityPacketType.Ack:
                if (payload.Length < AckHeaderSize || payload.Length != AckHeaderSize + payload[5] * AckRangeSize)
                    return false;
                packet = new ReliabilityPacket
                {
                    Type = ReliabilityPacketType.Ack,
                    Ack = BinaryPrimitives.ReadUInt32BigEndian(payload[1..]),
                    Ranges = payload[AckHeaderSize..],
                };
                return true;
            case ReliabilityPacketType.KeepAlive:
                if (payload.Length != KeepAliveSize)
                    return false;
                packet = new ReliabilityPacket
                {
                    Type = ReliabilityPacketType.KeepAlive,
                    Ack = BinaryPrimitives.ReadUInt32BigEndian(payload[1..]),
                };
                return true;
            case ReliabilityPacketType.Close:
                if (payload.Length != CloseSize)
                    return false;
                packet = new ReliabilityPacket
                {
                    Type = ReliabilityPacketType.Close,
                    Sequence = BinaryPrimitives.ReadUInt32BigEndian(payload[1..]),
                    Ack = BinaryPrimitives.ReadUInt32BigEndian(payload[5..]),
                };
                return true;
            default:
                return false;
        }
    }

    public static int WriteData(Span<byte> destination, byte flags, long sequence, long ack, ReadOnlySpan<byte> data)
    {
        destination[0] = TypeByte(ReliabilityPacketType.Data);
        destination[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], (uint)ack);
        data.CopyTo(destination[DataHeaderSize..]);
        return DataHeaderSize + data.Length;
    }

    public static int WriteClose(Span<byte> destination, long sequence, long ack)
    {
        destination[0] = TypeByte(ReliabilityPacketType.Close);
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)ack);
        return CloseSize;
    }

    public static int WriteKeepAlive(Span<byte> destination, long ack)
    {
        destination[0] = TypeByte(ReliabilityPacketType.KeepAlive);
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)ack);
        return KeepAliveSize;
    }

    /// <summary>Writes the ACK header; the caller then appends ranges with <see cref="WriteRange"/>.</summary>
    public static void WriteAckHeader(Span<byte> destination, long ack, int rangeCount)
    {
        destination[0] = TypeByte(ReliabilityPacketType.Ack);
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)ack);
        destination[5] = checked((byte)rangeCount);
    }

    public static void WriteRange(Span<byte> destination, int index, int gap, int length)
    {
        var range = destination.Slice(AckHeaderSize + index * AckRangeSize, AckRangeSize);
        BinaryPrimitives.WriteUInt16BigEndian(range, checked((ushort)gap));
        BinaryPrimitives.WriteUInt16BigEndian(range[2..], checked((ushort)length));
    }

    /// <summary>Widens a 32-bit wire sequence number to the 64-bit value nearest <paramref name="expected"/>.</summary>
    public static long Widen(uint wire, long expected)
    {
        const long span = 1L << 32;
        var candidate = (expected & ~(span - 1)) | wire;
        if (candidate < expected - span / 2)
            candidate += span;
        else if (candidate > expected + span / 2 && candidate >= span)
            candidate -= span;
        return candidate;
    }

    private static byte TypeByte(ReliabilityPacketType type) => (byte)(Version << 4 | (byte)type);
}

internal enum ReliabilityPacketType : byte
{
    Data = 1,
    Ack = 2,
    KeepAlive = 3,
    Close = 4,
}
