using System.Net;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>Turns a host name into addresses. Injectable, so tests decide what a name means without asking the network.</summary>
public interface IHostResolver
{
    /// <summary>
    /// Every address of <paramref name="host"/> in the resolver's order (an address literal is its own answer); possibly
    /// none. Throws <see cref="SocketException"/> when the name cannot be resolved.
    /// </summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default);
}

/// <summary>The system's resolver (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>); literals never reach it.</summary>
public sealed class HostResolver : IHostResolver
{
    /// <summary>The resolver every component uses unless given another: the system's DNS.</summary>
    public static IHostResolver Default { get; } = new HostResolver();

    /// <inheritdoc/>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The address to use of several: the first IPv4 one (what NATs and most LANs route), else the first; null for none.</summary>
    public static IPAddress? PreferIPv4(IReadOnlyList<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
    }
}
