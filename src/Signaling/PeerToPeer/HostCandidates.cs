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
    /// bound to one; for the wildcard, this machine's addresses (loopback too when the server is on loopback).
    /// </summary>
    public static List<IPEndPoint> Of(IPEndPoint bound, IPAddress server)
    {
        var port = bound.Port;
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
            return [new IPEndPoint(bound.Address, port)];
        var addresses = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up)
                    continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = unicast.Address;
                    if (address.AddressFamily == server.AddressFamily && !IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal)
                        addresses.Add(address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list: the reflexive candidate still works across NATs.
        }
        if (IPAddress.IsLoopback(server))
            addresses.Insert(0, server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        return [.. addresses.Distinct().Take(MaxHostCandidates).Select(a => new IPEndPoint(a, port))];
    }
}
