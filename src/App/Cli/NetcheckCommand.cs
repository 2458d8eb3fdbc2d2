using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Transport;
using SecretChat.Transport.Stun;

namespace SecretChat.Cli;

/// <summary>How a NAT maps one local port toward different destinations (RFC 4787 §4.1).</summary>
internal enum NatMapping
{
    /// <summary>Only one server answered, so there was nothing to compare.</summary>
    Unknown,

    /// <summary>The mapped address is our local address: no NAT in between.</summary>
    None,

    /// <summary>The same public address and port toward every destination: hole punching works.</summary>
    EndpointIndependent,

    /// <summary>A different public port per destination ("symmetric"): punching usually fails.</summary>
    EndpointDependent,
}

/// <summary>One STUN server's answer (or why there was none).</summary>
internal sealed record NetcheckProbe(string Server, IPEndPoint? ServerEndPoint, IPEndPoint? Mapped, string? Error);

/// <summary>Where an address reaches: only a public one is reachable from the internet.</summary>
internal enum AddressScope
{
    /// <summary>This machine only (127.0.0.0/8, ::1).</summary>
    Loopback,

    /// <summary>One link only (169.254.0.0/16, fe80::/10).</summary>
    LinkLocal,

    /// <summary>A private network behind a NAT (10/8, 172.16/12, 192.168/16, 100.64/10 carrier-grade NAT, fc00::/7).</summary>
    Private,

    /// <summary>Routed on the internet.</summary>
    Public,
}

/// <summary>Classifies addresses (RFC 1918, RFC 6598, RFC 4193, RFC 3927).</summary>
internal static class AddressScopes
{
    public static AddressScope Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return AddressScope.Loopback;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv6LinkLocal) return AddressScope.LinkLocal;
            var first = address.GetAddressBytes()[0];
            return (first & 0xFE) == 0xFC || address.IsIPv6SiteLocal ? AddressScope.Private : AddressScope.Public;
        }

        var b = address.GetAddressBytes();
        return b switch
        {
            [169, 254, ..] => AddressScope.LinkLocal,
            [10, ..] => AddressScope.Private,
            [172, >= 16 and <= 31, ..] => AddressScope.Private,
            [192, 168, ..] => AddressScope.Private,
            [100, >= 64 and <= 127, ..] => AddressScope.Private,
            [0, ..] => AddressScope.Private, // "this network": never reachable from outside
            _ => AddressScope.Public,
        };
    }

    public static string Name(AddressScope scope) => scope switch
    {
        AddressScope.Loopback => "loopback",
        AddressScope.LinkLocal => "link-local",
        AddressScope.Private => "private",
        _ => "public",
    };
}

/// <summary>What netcheck found, and the sentence it tells a person.</summary>
/// <param name="Local">The local socket's address toward the first server.</param>
/// <param name="Probes">Each server's answer, or why there was none.</param>
/// <param name="Mapping">How the NAT maps the port toward different destinations.</param>
/// <param name="Verdict">What it means, for a person.</param>
/// <param name="MappingNote">Why the mapping is what it says (e.g. that telling it needs two servers), or null.</param>
internal sealed record NetcheckReport(IPEndPoint Local, IReadOnlyList<NetcheckProbe> Probes, NatMapping Mapping, string Verdict, string? MappingNote = null)
{
    /// <summary>What a mapping needs to be known: answers from two server endpoints.</summary>
    public const string NeedsTwoServers = "how your NAT maps ports needs answers from two STUN servers, or two ports of one, to tell: give a second --stun";

    /// <summary>True when at least one server answered.</summary>
    public bool Answered => Probes.Any(p => p.Mapped is not null);

    /// <summary>Classifies the mapping from the answers: needs answers from two different server endpoints to compare.</summary>
    public static NetcheckReport Decide(IPEndPoint local, IReadOnlyList<NetcheckProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(probes);
        var answered = probes.Where(p => p.Mapped is not null).ToList();
        if (answered.Count == 0)
        {
            return new(local, probes, NatMapping.Unknown,
                (probes.Count == 1 ? "The STUN server did not answer" : "No STUN server answered") +
                ": your public address and your NAT are unknown. Check the server's address (--stun HOST:PORT) and that UDP to it is not blocked.");
        }

        var destinations = answered.Select(p => p.ServerEndPoint).Distinct().Count();
        var oneServer = destinations < 2 ? NeedsTwoServers : null;
        if (answered.Any(p => p.Mapped!.Equals(local)))
        {
            var scope = AddressScopes.Of(local.Address);
            if (scope == AddressScope.Public)
                return new(local, probes, NatMapping.None, $"No NAT: your address {local.Address} is public.", oneServer is null ? null : "no NAT toward this server");
            var servers = answered.Count == 1 ? "The STUN server is" : "The STUN servers are";
            return new(local, probes, NatMapping.None,
                $"{servers} on your own network: seen from there you are at your {AddressScopes.Name(scope)} address {local.Address}, which is not " +
                "reachable from the internet, so this says nothing about your public address or NAT. Ask STUN servers on the internet " +
                "(e.g. --stun stun.l.google.com:19302 --stun stun.cloudflare.com:3478).",
                oneServer ?? "no NAT toward these servers, which are on your own network");
        }

        var mapped = answered[0].Mapped!;
        var mappedScope = AddressScopes.Of(mapped.Address);
        var behind = mappedScope == AddressScope.Public
            ? $"You are behind a NAT (public address {mapped})"
            : $"You are behind a NAT, and the server sees you at {mapped}, a {AddressScopes.Name(mappedScope)} address (another NAT, or the server is on a private network)";
        if (oneServer is not null)
        {
            return new(local, probes, NatMapping.Unknown,
                $"{behind}; with one STUN server its mapping behaviour is unknown: " +
                "give a second --stun server (another host or port) to find out whether hole punching can work.", oneServer);
        }

        return answered.Select(p => p.Mapped).Distinct().Count() == 1
            ? new(local, probes, NatMapping.EndpointIndependent,
                "Your NAT keeps the same public port for every destination: hole punching should work.")
            : new(local, probes, NatMapping.EndpointDependent,
                "Your NAT changes the public port per destination (symmetric NAT): direct connections will usually fail; a relay is needed.");
    }
}

/// <summary><c>secretchat netcheck</c>: from one local UDP socket, asks STUN servers where they see us and explains the NAT.</summary>
internal static class NetcheckCommand
{
    /// <summary>Shorter than RFC 8489's 39.5 s: a person is waiting. Requests at 0, 0.5, 1.5 and 3.5 s; give up at 5.5 s.</summary>
    public static readonly StunClientOptions Retransmission = new()
    {
        InitialRto = TimeSpan.FromMilliseconds(500),
        MaxRequests = 4,
        LastWaitFactor = 4,
        Software = "SecretChat netcheck",
    };

    public static async Task<int> RunAsync(CliApp app, AppSettings settings, IReadOnlyList<string> stunFlags, bool json, CancellationToken cancellationToken)
    {
        var servers = stunFlags.Count > 0 ? stunFlags : [.. settings.Signaling.Server.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        var targets = new List<(string Text, IPEndPoint? EndPoint, string? Error)>();
        foreach (var text in servers)
            targets.Add(await ResolveAsync(text, cancellationToken).ConfigureAwait(false));

        await using var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Any, 0), options: Retransmission);
        var firstTarget = targets.FirstOrDefault(t => t.EndPoint is not null).EndPoint;
        var local = new IPEndPoint(LocalAddressToward(firstTarget), client.LocalEndPoint.Port);

        var probes = await Task.WhenAll(targets.Select(async target =>
        {
            if (target.EndPoint is null)
                return new NetcheckProbe(target.Text, null, null, target.Error);
            try
            {
                var binding = await client.BindAsync(target.EndPoint, cancellationToken).ConfigureAwait(false);
                return new NetcheckProbe(target.Text, target.EndPoint, binding.MappedAddress, null);
            }
            catch (Exception ex) when (ex is StunTimeoutException or StunErrorResponseException or IOException or SocketException)
            {
                return new NetcheckProbe(target.Text, target.EndPoint, null, ex.Message);
            }
        })).ConfigureAwait(false);

        var report = NetcheckReport.Decide(local, probes);
        var addresses = LocalAddresses();
        var output = app.IO.Out;
        if (json)
        {
            await output.WriteLineAsync(ToJson(report, addresses)).ConfigureAwait(false);
        }
        else
        {
            // A STUN server's error reason is its own text: every value goes through TerminalLine, escaped.
            await WriteLineAsync(output, $"local address {report.Local}").ConfigureAwait(false);
            foreach (var (address, scope) in addresses)
                await WriteLineAsync(output, $"interface     {address} ({AddressScopes.Name(scope)})").ConfigureAwait(false);
            foreach (var probe in report.Probes)
            {
                if (probe.Mapped is { } mapped)
                    await WriteLineAsync(output, $"server {probe.Server} sees you at {mapped}").ConfigureAwait(false);
                else
                    await WriteLineAsync(output, $"server {probe.Server} did not answer: {probe.Error}").ConfigureAwait(false);
            }

            var note = report.MappingNote is null ? "" : $" ({report.MappingNote})";
            await WriteLineAsync(output, $"mapping       {MappingName(report.Mapping)}{note}").ConfigureAwait(false);
            await WriteLineAsync(output, $"{report.Verdict}").ConfigureAwait(false);
        }

        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (report.Answered)
            return ExitCodes.Success;

        // Nothing learned beyond the local side: a failure for scripts, with the servers' reasons in one sentence.
        await app.WriteErrorAsync(probes.Length == 1
            ? UserSentences.FromClause(probes[0].Error!)
            : "No STUN server answered: " + string.Join("; ", probes.Select(p => p.Error)) + ".").ConfigureAwait(false);
        return ExitCodes.Failure;
    }

    /// <summary>This machine's unicast addresses on interfaces that are up, each with its scope.</summary>
    private static IReadOnlyList<(IPAddress Address, AddressScope Scope)> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Distinct()
                .Select(a => (a, AddressScopes.Of(a)))
                .OrderBy(a => a.Item2).ThenBy(a => a.a.AddressFamily).ThenBy(a => a.a.ToString(), StringComparer.Ordinal)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private static Task WriteLineAsync(TextWriter output, TerminalLine line) => output.WriteLineAsync(line.ToString());

    public static string MappingName(NatMapping mapping) => mapping switch
    {
        NatMapping.None => "none",
        NatMapping.EndpointIndependent => "endpoint-independent",
        NatMapping.EndpointDependent => "endpoint-dependent",
        _ => "unknown",
    };

    private static string ToJson(NetcheckReport report, IReadOnlyList<(IPAddress Address, AddressScope Scope)> addresses)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", "netcheck");
            writer.WriteString("local", report.Local.ToString());
            writer.WriteStartArray("interfaces");
            foreach (var (address, scope) in addresses)
            {
                writer.WriteStartObject();
                writer.WriteString("address", address.ToString());
                writer.WriteString("scope", AddressScopes.Name(scope));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("servers");
            foreach (var probe in report.Probes)
            {
                writer.WriteStartObject();
                writer.WriteString("server", probe.Server);
                if (probe.Mapped is not null)
                {
                    writer.WriteString("mapped", probe.Mapped.ToString());
                    writer.WriteString("scope", AddressScopes.Name(AddressScopes.Of(probe.Mapped.Address)));
                }
                else
                {
                    writer.WriteNull("mapped");
                }

                if (probe.Error is not null) writer.WriteString("error", probe.Error);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("mapping", MappingName(report.Mapping));
            if (report.MappingNote is not null) writer.WriteString("mapping_note", report.MappingNote);
            writer.WriteBoolean("answered", report.Answered);
            writer.WriteString("verdict", report.Verdict);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static async Task<(string, IPEndPoint?, string?)> ResolveAsync(string text, CancellationToken cancellationToken)
    {
        if (!HostPort.TryParse(text, out var hostPort) || hostPort.Port == 0)
            throw new SettingsException($"'{text}' is not a STUN server: expected HOST:PORT, e.g. stun.example.org:3478.");
        try
        {
            var addresses = await HostResolver.Default.ResolveAsync(hostPort.Host, cancellationToken).ConfigureAwait(false);
            var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            return address is null
                ? (text, null, $"{hostPort.Host} has no IPv4 address")
                : (text, new IPEndPoint(address, hostPort.Port), null);
        }
        catch (SocketException ex)
        {
            return (text, null, $"cannot resolve {hostPort.Host}: {ex.Message}");
        }
    }

    /// <summary>The local address the OS would send from toward <paramref name="target"/> (a connected UDP socket sends nothing).</summary>
    private static IPAddress LocalAddressToward(IPEndPoint? target)
    {
        if (target is null) return IPAddress.Any;
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(target);
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return IPAddress.Any;
        }
    }
}
