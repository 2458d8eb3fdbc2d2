using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Transport.Stun;

/// <summary>The (XOR-)MAPPED-ADDRESS value format: reserved, family, port, address (RFC 8489 §14.1–14.2).</summary>
internal static class StunAddress
{
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;

    public static int EncodedLength(IPEndPoint endPoint) => endPoint.AddressFamily == AddressFamily.InterNetwork ? 8 : 20;

    public static IPEndPoint Decode(ReadOnlySpan<byte> value, bool xor, StunTransactionId transactionId, string name)
    {
        if (value.Length < 4)
            throw new StunFormatException($"{name} is {value.Length} bytes; it needs at least 4.");
        var family = value[1];
        int addressLength = family switch
        {
            FamilyIPv4 => 4,
            FamilyIPv6 => 16,
            _ => throw new StunFormatException($"{name} has an unknown address family 0x{family:x2}."),
        };
        if (value.Length != 4 + addressLength)
            throw new StunFormatException($"{name} for family {family} must be {4 + addressLength} bytes, not {value.Length}.");

        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        Span<byte> address = stackalloc byte[addressLength];
        value.Slice(4, addressLength).CopyTo(address);
        if (xor)
        {
            port ^= (int)(StunMessage.MagicCookie >> 16);
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
            transactionId.WriteTo(mask[4..]);
            for (var i = 0; i < addressLength; i++)
                address[i] ^= mask[i];
        }

        return new IPEndPoint(new IPAddress(address), port);
    }

    public static void Encode(IPEndPoint endPoint, bool xor, StunTransactionId transactionId, Span<byte> destination)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        int length = v4 ? 4 : 16;
        destination[0] = 0;
        destination[1] = v4 ? FamilyIPv4 : FamilyIPv6;
        var port = (ushort)endPoint.Port;
        if (xor) port ^= (ushort)(StunMessage.MagicCookie >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], port);
        var bytes = destination.Slice(4, length);
        if (!address.TryWriteBytes(bytes, out _))
            throw new ArgumentException($"Cannot write the address {address}.", nameof(endPoint));
        if (xor)
        {
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
            transactionId.WriteTo(mask[4..]);
            for (var i = 0; i < length; i++)
                bytes[i] ^= mask[i];
        }
    }

    /// <summary>IPv4-mapped IPv6 addresses (from dual-stack sockets) go on the wire as IPv4.</summary>
    public static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
