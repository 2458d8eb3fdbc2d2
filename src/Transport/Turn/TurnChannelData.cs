using System.Buffers.Binary;

namespace SecretChat.Transport.Turn;

/// <summary>
/// The ChannelData message of TURN (RFC 8656 §12.4): channel number (2 bytes, 0x4000–0x4FFF), length of the
/// application data (2 bytes), the data. Over UDP the data is not padded when sent; up to three bytes of padding are
/// accepted when received.
/// </summary>
public static class TurnChannelData
{
    /// <summary>Bytes before the data.</summary>
    public const int HeaderLength = 4;

    /// <summary>The lowest channel number a client may bind.</summary>
    public const ushort FirstChannel = 0x4000;

    /// <summary>The highest channel number a client may bind.</summary>
    public const ushort LastChannel = 0x4FFF;

    /// <summary>The most application data one ChannelData message carries (its length field is 16 bits).</summary>
    public const int MaxDataLength = ushort.MaxValue;

    /// <summary>
    /// Whether <paramref name="datagram"/> starts like ChannelData: its first two bits are 01 (channels 0x4000–0x7FFF,
    /// RFC 8656 §12; RFC 7983 demultiplexing). This range overlaps other protocols on the same port, so only
    /// datagrams from the TURN server's address are read as ChannelData.
    /// </summary>
    public static bool IsChannelData(ReadOnlySpan<byte> datagram) => datagram.Length > 0 && (datagram[0] & 0xC0) == 0x40;

    /// <summary>Whether <paramref name="channel"/> is one a client may bind (0x4000–0x4FFF).</summary>
    public static bool IsValidChannel(ushort channel) => channel is >= FirstChannel and <= LastChannel;

    /// <summary>
    /// Reads a ChannelData datagram. False when it is not one a client accepts: shorter than its header, a channel
    /// outside 0x4000–0x4FFF, a length that runs past the datagram (truncated) or that leaves more than three bytes of
    /// padding after it (oversize).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out ushort channel, out ReadOnlySpan<byte> data)
    {
        channel = 0;
        data = default;
        if (datagram.Length < HeaderLength)
            return false;
        var number = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        int available = datagram.Length - HeaderLength;
        if (!IsValidChannel(number) || length > available || available - length > 3)
            return false;
        channel = number;
        data = datagram.Slice(HeaderLength, length);
        return true;
    }

    /// <summary>Writes a ChannelData message for <paramref name="channel"/> carrying <paramref name="data"/>, unpadded.</summary>
    /// <returns>The bytes written: <see cref="HeaderLength"/> plus the data's length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is outside 0x4000–0x4FFF.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is longer than <see cref="MaxDataLength"/>, or <paramref name="destination"/> is too small.</exception>
    public static int Encode(ushort channel, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (!IsValidChannel(channel))
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "A TURN channel is 0x4000 to 0x4FFF.");
        if (data.Length > MaxDataLength)
            throw new ArgumentException($"ChannelData carries at most {MaxDataLength} bytes.", nameof(data));
        if (destination.Length < HeaderLength + data.Length)
            throw new ArgumentException($"The destination needs {HeaderLength + data.Length} bytes.", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination, channel);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)data.Length);
        data.CopyTo(destination[HeaderLength..]);
        return HeaderLength + data.Length;
    }
}
