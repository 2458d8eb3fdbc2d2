using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Tests;

/// <summary>
/// Finds coturn's tools (Debian package <c>coturn</c>). Missing coturn skips the interop tests with a plain reason,
/// except on CI (<c>CI=true</c>), where the tests run and fail saying what to install.
/// </summary>
internal static class Coturn
{
    public const string InstallHint = "coturn is not installed: install it with 'apt-get install -y coturn' (Debian/Ubuntu)";

    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    public static string? Find(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    public static bool IsInstalled => Find("turnserver") is not null && Find("turnutils_stunclient") is not null;

    /// <summary>The tool's path, or a failed assertion naming what to install (reached only on CI, otherwise the test is skipped).</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new Xunit.Sdk.XunitException($"{InstallHint} ({tool} was not found; CI=true requires it).");

    /// <summary>A UDP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Runs a tool to completion (killed after <paramref name="timeout"/>) and returns its output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string path, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>A fact that needs coturn: skipped with the reason when it is missing, unless CI=true (then it fails).</summary>
internal sealed class CoturnFactAttribute : Xunit.FactAttribute
{
    public CoturnFactAttribute()
    {
        if (!Coturn.IsInstalled && !Coturn.IsCi)
            Skip = Coturn.InstallHint + " (set CI=true to make this a failure).";
    }
}

/// <summary>coturn's <c>turnserver</c> on a loopback port (STUN only, or a TURN relay), killed on dispose whatever happened.</summary>
internal sealed class TurnServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private TurnServerProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint { get; }

    public static TurnServerProcess Start() => Start(["--stun-only"]);

    /// <summary>
    /// coturn as a TURN relay on 127.0.0.1: the shared-secret ("TURN REST API") scheme with <paramref name="secret"/>,
    /// <paramref name="realm"/>, loopback peers allowed (the relayed addresses are on 127.0.0.1 too), UDP only, relay
    /// ports from a random range of its own so parallel runs do not meet.
    /// </summary>
    /// <param name="staleNonce">coturn's <c>--stale-nonce</c> in seconds: how long a nonce lasts before a 438 (and re-authentication); none when null.</param>
    public static TurnServerProcess StartRelay(string secret, string realm = "secretchat.test", int? userQuota = null, int? staleNonce = null)
    {
        var minPort = 20_000 + Random.Shared.Next(0, 90) * 100;
        var arguments = new List<string>
        {
            "--use-auth-secret", $"--static-auth-secret={secret}", $"--realm={realm}", "--allow-loopback-peers",
            "--relay-ip=127.0.0.1", $"--min-port={minPort}", $"--max-port={minPort + 99}", "--no-tcp-relay", "--fingerprint", "--verbose",
        };
        if (userQuota is { } quota)
            arguments.Add($"--user-quota={quota}");
        if (staleNonce is { } nonceSeconds)
            arguments.Add($"--stale-nonce={nonceSeconds}");
        var server = Start(arguments);
        server.Secret = secret;
        server.Realm = realm;
        return server;
    }

    /// <summary>The shared secret of a relay started by <see cref="StartRelay"/>.</summary>
    public string Secret { get; private set; } = "";

    /// <summary>The realm of a relay started by <see cref="StartRelay"/>.</summary>
    public string Realm { get; private set; } = "";

    /// <summary>coturn's log so far, for a failed assertion's message.</summary>
    public string Log
    {
        get
        {
            try { return File.ReadAllText(Path.Combine(_directory, "turn.log")); }
            catch (IOException) { return ""; }
        }
    }

    private static TurnServerProcess Start(IEnumerable<string> modeArguments)
    {
        var path = Coturn.Require("turnserver");
        var port = Coturn.FreeUdpPort();
        var directory = Directory.CreateTempSubdirectory("secretchat-coturn-").FullName;
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "-n", "--listening-ip=127.0.0.1", $"--listening-port={port}", "--no-tls", "--no-dtls",
                     "--no-cli", "--no-tcp", "--no-stdout-log", "--simple-log", $"--log-file={Path.Combine(directory, "turn.log")}",
                     $"--pidfile={Path.Combine(directory, "turn.pid")}", $"--db={Path.Combine(directory, "turndb")}",
                 }.Concat(modeArguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new TurnServerProcess(process, directory, port);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            _process.Dispose();
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { }
        }
    }
}
