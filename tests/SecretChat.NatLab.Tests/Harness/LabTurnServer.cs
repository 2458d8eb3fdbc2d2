using System.Diagnostics;
using System.Net;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// coturn's <c>turnserver</c> on the lab's internet (beside the signaling server, on <see cref="Port"/>), with the
/// shared-secret scheme (<c>use-auth-secret</c>) and relay ports <see cref="MinRelayPort"/>–<see cref="MaxRelayPort"/>
/// on the internet's address; killed on dispose whatever happened. Its secret goes in a file only its owner reads, as
/// <c>secretchat signal --turn-secret-file</c> wants it.
/// </summary>
public sealed class LabTurnServer : IAsyncDisposable
{
    public const int Port = 3479;
    public const int MinRelayPort = 50000;
    public const int MaxRelayPort = 50199;

    private readonly Process _process;
    private readonly string _log;

    private LabTurnServer(Process process, IPEndPoint endPoint, string secretFile, string log)
    {
        _process = process;
        EndPoint = endPoint;
        SecretFile = secretFile;
        _log = log;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The file holding the shared secret (mode 0600).</summary>
    public string SecretFile { get; }

    /// <summary>coturn's log so far, for a failed assertion's message.</summary>
    public string Log
    {
        get
        {
            try { return File.ReadAllText(_log); }
            catch (IOException) { return ""; }
        }
    }

    /// <summary>Whether a relay port is one of this server's (a session relayed through it has its peer at one).</summary>
    public bool IsRelayedAddress(IPEndPoint address) =>
        address.Address.Equals(EndPoint.Address) && address.Port is >= MinRelayPort and <= MaxRelayPort;

    /// <summary>Starts coturn in the lab's internet and waits until it answers a STUN binding request.</summary>
    public static async Task<LabTurnServer> StartAsync(Lab lab, TempDirectory home)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(home);
        var turnserver = new[] { "/usr/bin/turnserver", "/usr/sbin/turnserver", "/usr/local/bin/turnserver" }.FirstOrDefault(File.Exists)
            ?? throw new LabUnavailableException("coturn is not installed: install it with 'apt-get install -y coturn' (Debian/Ubuntu)");
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var secretFile = home.File("turn.secret");
        await File.WriteAllTextAsync(secretFile, secret + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var address = lab.Internet.Address;
        var log = home.File("turn.log");
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "netns", "exec", lab.Internet.Namespace, turnserver,
                     "-n", $"--listening-ip={address}", $"--listening-port={Port}", $"--relay-ip={address}",
                     $"--min-port={MinRelayPort}", $"--max-port={MaxRelayPort}",
                     "--use-auth-secret", $"--static-auth-secret={secret}", "--realm=secretchat.lab",
                     "--no-tls", "--no-dtls", "--no-cli", "--no-tcp", "--no-tcp-relay", "--fingerprint", "--verbose",
                     "--no-stdout-log", "--simple-log", $"--log-file={log}",
                     $"--pidfile={home.File("turn.pid")}", $"--db={home.File("turndb")}",
                 })
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LabTurnServer(process, new IPEndPoint(address, Port), secretFile, log);
        try
        {
            var probe = await lab.OpenUdpSocketAsync(lab.Internet, new IPEndPoint(address, 0));
            await StunProbe.BindingAsync(probe, server.EndPoint, Timeouts.Startup);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
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
        }
    }
}
