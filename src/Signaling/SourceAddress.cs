using System.Net;
using System.Net.Sockets;

namespace SecretChat.Signaling;

/// <summary>
/// What the server's per-source limits count by: an IPv4 address, or the /64 prefix of an IPv6 one (one IPv6 host
/// usually holds a whole /64, so counting single addresses would give it 2^64 fresh buckets).
/// </summary>
internal static class SourceAddress
{
    public static IPAddress Key(IPAddress address)
    {
        address = PlainAddress.Of(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
