using System.Net;

namespace SecretChat.Signaling;

/// <summary>
/// An address as everyone writes it: a dual-stack socket reports an IPv4 peer as IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>),
/// which <see cref="IPAddress.Equals(object)"/> tells apart from the same peer written as IPv4. Every comparison of an
/// address the socket reported with one the server, the peer or the user wrote goes through here.
/// </summary>
internal static class PlainAddress
{
    /// <summary><paramref name="address"/> as IPv4 when it is IPv4-mapped; otherwise itself.</summary>
    public static IPAddress Of(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary><paramref name="endPoint"/> with its address as IPv4 when it is IPv4-mapped; otherwise itself.</summary>
    public static IPEndPoint Of(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>Whether the two are one address, however each is written.</summary>
    public static bool Same(IPAddress a, IPAddress b) => Of(a).Equals(Of(b));

    /// <summary>Whether the two are one address and port, however each address is written.</summary>
    public static bool Same(IPEndPoint a, IPEndPoint b) => a.Port == b.Port && Same(a.Address, b.Address);
}
