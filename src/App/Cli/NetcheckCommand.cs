using System.Net;
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

/// <summary>What netcheck found, and the sentence it tells a person.</summary>
internal sealed record NetcheckReport(IPEndPoint Local, IReadOnlyList<NetcheckProbe> Probes, NatMapping Mapping, string Verdict)
{
    /// <summary>Classifies the mapping from the answers: needs answers from two different server endpoints to compare.</summary>
    public static NetcheckReport Decide(IPEndPoint local, IReadOnlyList<NetcheckProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(probes);
        var answered = probes.Where(p => p.Mapped is not null).ToList();
        if (answered.Count == 0)
            throw new ArgumentException("At least one server must have answered.", nameof(probes));

        if (answered.Any(p => p.Mapped!.Equals(local)))
            return new(local, probes, NatMapping.None, "No NAT: your address is public.");

        var destinations = answered.Select(p => p.ServerEndPoint).Distinct().Count();
        if (destinations < 2)
        {
            return new(local, probes, NatMapping.Unknown,
                $"You are behind a NAT (public address {answered[0].Mapped}); with one STUN server its mapping behaviour is unknown: " +
                "give a second --stun server (another host or port) to find out whether hole punching can work.");
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
        var servers = stunFlags.Count > 0 ? stunFlags : [settings.Signaling.Server];
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

        if (probes.All(p => p.Mapped is null))
            throw new ChatFailedException(probes.Length == 1 ? UserSentences.FromClause(probes[0].Error!) : "No STUN server answered: " + string.Join("; ", probes.Select(p => p.Error)) + ".");

        var report = NetcheckReport.Decide(local, probes);
        var output = app.IO.Out;
        if (json)
        {
            await output.WriteLineAsync(ToJson(report)).ConfigureAwait(false);
        }
        else
        {
            // A STUN server's error reason is its own text: every value goes through TerminalLine, escaped.
            await WriteLineAsync(output, $"local address {report.Local}").ConfigureAwait(false);
            foreach (var probe in report.Probes)
            {
                if (probe.Mapped is { } mapped)
                    await WriteLineAsync(output, $"server {probe.Server} sees you at {mapped}").ConfigureAwait(false);
                else
                    await WriteLineAsync(output, $"server {probe.Server} did not answer: {probe.Error}").ConfigureAwait(false);
            }

            await WriteLineAsync(output, $"mapping       {MappingName(report.Mapping)}").ConfigureAwait(false);
            await WriteLineAsync(output, $"{report.Verdict}").ConfigureAwait(false);
        }

        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static Task WriteLineAsync(TextWriter output, TerminalLine line) => output.WriteLineAsync(line.ToString());

    public static string MappingName(NatMapping mapping) => mapping switch
    {
        NatMapping.None => "none",
        NatMapping.EndpointIndependent => "endpoint-independent",
        NatMapping.EndpointDependent => "endpoint-dependent",
        _ => "unknown",
    };

    private static string ToJson(NetcheckReport report)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", "netcheck");
            writer.WriteString("local", report.Local.ToString());
            writer.WriteStartArray("servers");
            foreach (var probe in report.Probes)
            {
                writer.WriteStartObject();
                writer.WriteString("server", probe.Server);
                if (probe.Mapped is not null) writer.WriteString("mapped", probe.Mapped.ToString());
                else writer.WriteNull("mapped");
                if (probe.Error is not null) writer.WriteString("error", probe.Error);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("mapping", MappingName(report.Mapping));
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
