using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Sends UDP datagrams with a forged source address and port, as an off-path attacker does: through a raw IPv4
/// socket that writes its own IP header (needs root, or CAP_NET_RAW). Loopback only.
/// </summary>
internal sealed class SpoofedUdp : IDisposable
{
    private readonly Socket _raw = new(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp);

    public SpoofedUdp() => _raw.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);

    /// <summary>Sends <paramref name="payload"/> to <paramref name="to"/> as if <paramref name="from"/> had sent it.</summary>
    public void Send(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> payload)
    {
        if (!IPAddress.IsLoopback(from.Address) || !IPAddress.IsLoopback(to.Address))
            throw new ArgumentException("Forged datagrams stay on loopback.");
        var packet = new byte[20 + 8 + payload.Length];
        packet[0] = 0x45; // IPv4, 5-word header
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64; // TTL
        packet[9] = (byte)ProtocolType.Udp;
        from.Address.GetAddressBytes().CopyTo(packet, 12);
        to.Address.GetAddressBytes().CopyTo(packet, 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)to.Port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload.Length));
        // UDP checksum 0: none (allowed over IPv4).
        payload.CopyTo(packet.AsSpan(28));
        _raw.SendTo(packet, new IPEndPoint(to.Address, 0));
    }

    public void Dispose() => _raw.Dispose();

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
