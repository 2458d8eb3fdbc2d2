using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using SecretChat.Signaling;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>
/// The signaling servers a p2p chat may register at, written <c>HOST:PORT[,HOST:PORT…]</c> (<c>--signal</c> and the
/// <c>Signaling:Server</c> setting): nodes of one deployment that share their rooms, tried in order; the client moves
/// to the next when its server stops answering (docs/PROTOCOL.md §9.9). A name that resolves to several addresses
/// counts as several servers.
/// </summary>
public static class SignalingServerList
{
    /// <summary>Parses a comma-separated list of <c>HOST:PORT</c> (port 0 refused); false with a sentence saying why otherwise.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out IReadOnlyList<HostPort>? servers, [NotNullWhen(false)] out string? error)
    {
        servers = null;
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts is [""])
        {
            error = "no signaling server given: expected HOST:PORT, or several separated by commas";
            return false;
        }

        if (parts.Length > RendezvousClient.MaxServers)
        {
            error = $"{parts.Length} signaling servers given; at most {RendezvousClient.MaxServers} are tried";
            return false;
        }

        var list = new List<HostPort>(parts.Length);
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                error = "an empty entry in the list of signaling servers (two commas in a row, or one at an end)";
                return false;
            }

            if (!HostPort.TryParse(part, allowPortZero: false, out var server, out var why))
            {
                error = why;
                return false;
            }

            list.Add(server);
        }

        servers = list;
        error = null;
        return true;
    }

    /// <summary>Parses a comma-separated list of <c>HOST:PORT</c>.</summary>
    /// <exception cref="FormatException">Not such a list; the message says why.</exception>
    public static IReadOnlyList<HostPort> Parse(string text) =>
        TryParse(text, out var servers, out var error) ? servers : throw new FormatException($"Not a list of signaling servers: {error}.");

    /// <summary>
    /// The addresses to try, in order: every address of each server (a name with several counts as several), those of
    /// the first server's preferred family (IPv4 first) for every server, then those of the other family (a dual-stack
    /// socket reaches both: a node known only by its IPv6 address is still tried, after every node of the first
    /// family, so that a dead node's other address is not what the client fails over to), without repeats, at most
    /// <see cref="RendezvousClient.MaxServers"/>. A socket of one family keeps only its own (<see cref="ReachableFrom"/>).
    /// A name that does not resolve is skipped when another server does.
    /// </summary>
    /// <exception cref="ChatFailedException">No server resolves to an address.</exception>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(IReadOnlyList<HostPort> servers, IHostResolver resolver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(resolver);
        if (servers.Count == 0)
            throw new ArgumentException("At least one signaling server is needed.", nameof(servers));
        var resolved = new List<(HostPort Server, IPAddress[] Addresses)>();
        string? firstProblem = null;
        foreach (var server in servers)
        {
            try
            {
                resolved.Add((server, await resolver.ResolveAsync(server.Host, cancellationToken).ConfigureAwait(false)));
            }
            catch (SocketException e)
            {
                firstProblem ??= $"Could not resolve host '{server.Host}' ({e.Message}).";
            }
        }

        var family = resolved.Select(r => HostResolver.PreferIPv4(r.Addresses)).FirstOrDefault(a => a is not null)?.AddressFamily;
        var endPoints = new List<IPEndPoint>();
        foreach (var firstFamily in new[] { true, false })
        {
            foreach (var (server, addresses) in resolved)
            {
                foreach (var address in addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Where(a => (a.AddressFamily == family) == firstFamily))
                {
                    var endPoint = new IPEndPoint(address, server.Port);
                    if (!endPoints.Contains(endPoint) && endPoints.Count < RendezvousClient.MaxServers)
                        endPoints.Add(endPoint);
                }
            }
        }

        return endPoints.Count > 0
            ? endPoints
            : throw new ChatFailedException(firstProblem ?? $"Could not resolve host '{servers[0].Host}' to an address to reach the signaling server.");
    }

    /// <summary>
    /// Of <paramref name="servers"/> (from <see cref="ResolveAsync"/>), in order, those a UDP socket bound to
    /// <paramref name="localAddress"/> can send to: its own family, or both for the dual-stack wildcard (<c>::</c>).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> ReachableFrom(IReadOnlyList<IPEndPoint> servers, IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(localAddress);
        return [.. servers.Where(s => s.AddressFamily == localAddress.AddressFamily || localAddress.Equals(IPAddress.IPv6Any))];
    }
}
