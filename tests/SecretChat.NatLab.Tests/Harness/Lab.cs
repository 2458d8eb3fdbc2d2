using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// A NAT lab of its own for one test: an internet namespace (the signaling server's home), home routers
/// doing NAT with iptables, and alice and bob behind them, as <see cref="LabLayout"/> says. Built and removed
/// by tools/natlab/natlab.sh, the script people use by hand, so both always build the same lab.
/// Names are unique per lab (sclab-t&lt;4 hex&gt;-&lt;node&gt;); disposing removes the lab and everything
/// started in it, and the first lab of a test run removes labs left by runs that were killed.
/// </summary>
public sealed class Lab : IAsyncDisposable
{
    /// <summary>Where the signaling server of a lab listens (a port on the internet namespace).</summary>
    public const int SignalPort = 3478;

    private static readonly Lazy<Task> s_sweep = new(SweepStaleLabsAsync);
    private static readonly TimeSpan s_setupTimeout = Timeouts.Startup;

    private readonly List<SecretChatProcess> _processes = [];
    private readonly List<Socket> _sockets = [];
    private readonly ITestOutputHelper? _output;
    private int _disposed;

    private Lab(string id, LabLayout layout, IReadOnlyDictionary<string, string> description, ITestOutputHelper? output)
    {
        Id = id;
        Layout = layout;
        _output = output;
        string Value(string key) => description.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new InvalidDataException($"natlab.sh up did not report {key}.");

        Internet = new LabNode("internet", Value("NET_NS"), IPAddress.Parse(Value("NET_ADDR")));
        var routers = new Dictionary<string, LabRouter>();
        foreach (var name in new[] { "ra", "rb" })
        {
            var prefix = name.ToUpperInvariant();
            if (description.ContainsKey($"{prefix}_NS"))
            {
                routers[name] = new LabRouter(
                    name,
                    Value($"{prefix}_NS"),
                    IPAddress.Parse(Value($"{prefix}_WAN")),
                    IPAddress.Parse(Value($"{prefix}_LAN")),
                    Value($"{prefix}_NAT") == "symmetric" ? Site.Symmetric : Site.Cone);
            }
        }
        Routers = [.. routers.Values];
        LabHost Host(string name, string prefix, Site site) => new(
            name,
            Value($"{prefix}_NS"),
            IPAddress.Parse(Value($"{prefix}_ADDR")),
            site,
            description.TryGetValue($"{prefix}_ROUTER", out var router) && router.Length > 0 ? routers[router] : null);
        Alice = Host("alice", "A", layout.Alice);
        Bob = Host("bob", "B", layout.Bob);
    }

    /// <summary>Short and unique per lab: namespaces are named sclab-{Id}-{node}.</summary>
    public string Id { get; }

    public LabLayout Layout { get; }

    /// <summary>The internet: routes between every WAN and holds the signaling server (203.0.113.1).</summary>
    public LabNode Internet { get; }

    public LabHost Alice { get; }

    public LabHost Bob { get; }

    /// <summary>The routers present (ra for alice, rb for bob); bob on alice's LAN shares ra.</summary>
    public IReadOnlyList<LabRouter> Routers { get; }

    /// <summary>Where <c>secretchat signal</c> should listen, and where peers find it.</summary>
    public IPEndPoint SignalEndPoint => new(Internet.Address, SignalPort);

    /// <summary>Builds a lab (and, the first time in this test run, removes labs that killed runs left behind).</summary>
    public static async Task<Lab> CreateAsync(LabLayout layout, ITestOutputHelper? output = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var arguments = layout.ScriptArguments().ToList();
        LabEnvironment.ThrowIfUnavailable();
        await s_sweep.Value;

        var id = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        var started = Stopwatch.StartNew();
        var up = await LabCommand.RunAsync(
            "bash",
            [LabEnvironment.Script, "up", "--id", id, "--owner", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), .. arguments],
            s_setupTimeout);
        if (up.ExitCode != 0)
        {
            await RemoveAsync(id);
            up.EnsureSuccess();
        }
        var description = up.Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        try
        {
            var lab = new Lab(id, layout, description, output);
            lab.Log($"lab {id} up in {started.ElapsedMilliseconds} ms: {layout}; {lab.Alice}, {lab.Bob}, " +
                string.Join(", ", lab.Routers.Select(r => $"{r.Name} {r.Nat} WAN {r.Address} LAN {r.LanAddress}")));
            return lab;
        }
        catch
        {
            await RemoveAsync(id);
            throw;
        }
    }

    /// <summary>Starts <c>secretchat</c> inside <paramref name="node"/>; it is killed when the lab is disposed.</summary>
    public SecretChatProcess StartSecretChat(string name, LabNode node, params IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(node);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var process = SecretChatProcess.StartInNamespace(name, node.Namespace, LabEnvironment.SecretChatDll, arguments);
        lock (_processes)
            _processes.Add(process);
        return process;
    }

    /// <summary>Runs a command inside <paramref name="node"/> (ip netns exec), bounded in time.</summary>
    public Task<CommandResult> ExecAsync(LabNode node, params string[] command)
    {
        ArgumentNullException.ThrowIfNull(node);
        return LabCommand.RunAsync("ip", ["netns", "exec", node.Namespace, .. command]);
    }

    /// <summary>
    /// A UDP socket inside <paramref name="node"/>, bound to <paramref name="port"/> on its address (the one
    /// the lab reports, so replies leave from where peers wrote to); closed with the lab.
    /// </summary>
    public Task<Socket> OpenUdpSocketAsync(LabNode node, int port = 0) =>
        OpenUdpSocketAsync(node, new IPEndPoint(node?.Address ?? IPAddress.Any, port));

    /// <summary>A UDP socket inside <paramref name="node"/> bound to <paramref name="bindTo"/>; closed with the lab.</summary>
    public async Task<Socket> OpenUdpSocketAsync(LabNode node, IPEndPoint bindTo)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(bindTo);
        var socket = await NetworkNamespace.OpenUdpSocketAsync(node.Namespace, bindTo);
        lock (_sockets)
            _sockets.Add(socket);
        return socket;
    }

    /// <summary>Makes the router forget every NAT mapping and flow (<c>conntrack -F</c>), as a router reboot or a timeout would.</summary>
    public async Task FlushMappingsAsync(LabRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        (await ExecAsync(router, "conntrack", "-F")).EnsureSuccess();
        Log($"flushed the NAT mappings of {router.Name}");
    }

    /// <summary>
    /// A NAT rebinding: from now on the router maps its LAN's UDP flows to ports <paramref name="first"/> to
    /// <paramref name="last"/> of its WAN address (an SNAT rule ahead of its usual one), and it forgets every current
    /// mapping, so the next datagram of each flow leaves from a new external port.
    /// </summary>
    public async Task RebindUdpPortsAsync(LabRouter router, int first, int last)
    {
        ArgumentNullException.ThrowIfNull(router);
        (await ExecAsync(router, "iptables", "-w", "5", "-t", "nat", "-I", "POSTROUTING", "1", "-o", "wan0", "-p", "udp",
            "-j", "SNAT", "--to-source", $"{router.Address}:{first}-{last}")).EnsureSuccess();
        await FlushMappingsAsync(router);
        Log($"{router.Name} now maps UDP to ports {first}-{last} and has forgotten its mappings");
    }

    /// <summary>The router's connection-tracking table (its NAT mappings), as <c>conntrack -L</c> prints it.</summary>
    public async Task<string> MappingsAsync(LabRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        return (await ExecAsync(router, "conntrack", "-L")).EnsureSuccess().Stdout;
    }

    /// <summary>How many packets the router's rule with this comment (see <see cref="RouterRule"/>) has matched.</summary>
    public async Task<long> PacketsMatchedAsync(LabRouter router, string ruleComment)
    {
        ArgumentNullException.ThrowIfNull(router);
        var listing = (await ExecAsync(router, "iptables", "-w", "5", "-L", "-v", "-x", "-n")).EnsureSuccess().Stdout;
        var line = listing.Split('\n').FirstOrDefault(l => l.Contains($"/* {ruleComment} */", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{router.Name} has no rule '{ruleComment}':\n{listing}");
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits until the rule has matched at least <paramref name="count"/> packets. Counters cannot be awaited,
    /// so this reads them in a short bounded loop; a timeout says what the counter reached.
    /// </summary>
    public async Task<long> WaitForPacketsMatchedAsync(LabRouter router, string ruleComment, long count, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeouts.Default;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var matched = await PacketsMatchedAsync(router, ruleComment);
            if (matched >= count)
                return matched;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{router.Name}: rule '{ruleComment}' matched {matched} packets, not {count}, within {limit.TotalSeconds:0} s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Every node's addresses, routes, rules with counters and NAT mappings (natlab.sh show).</summary>
    public async Task<string> DescribeAsync() =>
        (await LabCommand.RunAsync("bash", LabEnvironment.Script, "show", Id)).Stdout;

    public void Log(string line) => _output?.WriteLine($"[natlab] {line}");

    /// <summary>Kills what runs in the lab, closes its sockets and removes every namespace.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        List<Exception> errors = [];
        SecretChatProcess[] processes;
        lock (_processes)
            processes = [.. _processes];
        foreach (var process in processes)
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }
        lock (_sockets)
        {
            foreach (var socket in _sockets)
                socket.Dispose();
        }
        try
        {
            await RemoveAsync(Id);
            Log($"lab {Id} removed");
        }
        catch (Exception e)
        {
            errors.Add(e);
        }
        if (errors.Count > 0)
            throw new AggregateException($"Removing lab {Id} failed.", errors);
    }

    private static async Task RemoveAsync(string id) =>
        (await LabCommand.RunAsync("bash", [LabEnvironment.Script, "down", id], s_setupTimeout)).EnsureSuccess();

    // Labs whose owning test process has gone (killed runs), created before this run started.
    private static async Task SweepStaleLabsAsync()
    {
        var started = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeSeconds();
        (await LabCommand.RunAsync(
            "bash",
            [LabEnvironment.Script, "sweep", "--before", started.ToString(CultureInfo.InvariantCulture)],
            s_setupTimeout)).EnsureSuccess();
    }
}
