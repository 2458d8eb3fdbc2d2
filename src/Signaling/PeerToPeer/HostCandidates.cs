using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>The addresses a p2p peer announces for itself: where the peer may reach its socket without a NAT in between.</summary>
internal static class HostCandidates
{
    /// <summary>What a default server keeps per peer (<c>SignalingServerOptions.MaxCandidatesPerPeer</c>).</summary>
    private const int MaxHostCandidates = 8;

    /// <summary>
    /// The addresses the peer may reach this socket at, with its port: the bound address alone when the socket is
    /// bound to one; for 0.0.0.0, this machine's IPv4 addresses; for <c>::</c> (a dual-stack socket), its IPv6
    /// addresses first and then its IPv4 ones (loopback too, first, when the server is on loopback).
    /// </summary>
    /// <remarks>
    /// IPv6 comes first because a global IPv6 address needs no NAT to be punched: where both peers have one, the
    /// first candidates tried are the ones most likely to work. At most half the candidates are IPv6 when there are
    /// IPv4 ones too, so a host's many temporary IPv6 addresses never crowd IPv4 (the fallback) out.
    /// </remarks>
    public static List<IPEndPoint> Of(IPEndPoint bound, IPAddress server)
    {
        var port = bound.Port;
        var dualStack = bound.Address.Equals(IPAddress.IPv6Any);
        if (!bound.Address.Equals(IPAddress.Any) && !dualStack)
            return [new IPEndPoint(bound.Address, port)];
        var server4 = PlainAddress.Of(server);
        var families = dualStack
            ? new[] { AddressFamily.InterNetworkV6, AddressFamily.InterNetwork }
            : [AddressFamily.InterNetwork];
        var v6 = new List<IPAddress>();
        var v4 = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up)
                    continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = unicast.Address;
                    if (!families.Contains(address.AddressFamily) || IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal
                        || address.IsIPv6SiteLocal || address.IsIPv4MappedToIPv6)
                        continue;
                    (address.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : v4).Add(address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list: the reflexive candidate still works across NATs.
        }
        var addresses = new List<IPAddress>();
        if (IPAddress.IsLoopback(server4))
            addresses.Add(server4.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        var room = MaxHostCandidates - addresses.Count;
        var ipv6 = v6.Distinct().Take(v4.Count > 0 ? room / 2 : room).ToList();
        addresses.AddRange(ipv6);
        addresses.AddRange(v4.Distinct());
        return [.. addresses.Distinct().Take(MaxHostCandidates).Select(a => new IPEndPoint(a, port))];
    }
}
