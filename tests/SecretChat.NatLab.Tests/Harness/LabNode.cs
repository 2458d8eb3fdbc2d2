using System.Net;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>A network namespace in the lab and its main address.</summary>
public record LabNode(string Name, string Namespace, IPAddress Address)
{
    public sealed override string ToString() => $"{Name} ({Namespace}, {Address})";
}

/// <summary>A peer's host; <see cref="Router"/> is null when it has a public address.</summary>
public sealed record LabHost(string Name, string Namespace, IPAddress Address, Site Site, LabRouter? Router)
    : LabNode(Name, Namespace, Address);

/// <summary>A home router: NAT behind <see cref="LabNode.Address"/> (its WAN side) for the LAN at <see cref="LanAddress"/>.</summary>
public sealed record LabRouter(string Name, string Namespace, IPAddress Address, IPAddress LanAddress, Site Nat)
    : LabNode(Name, Namespace, Address);
