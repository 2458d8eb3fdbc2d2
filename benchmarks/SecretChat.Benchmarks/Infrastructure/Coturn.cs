using System.Net;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// coturn's <c>turnserver</c> (Debian package <c>coturn</c>) as an operator runs it in production, on one loopback port:
/// a full TURN server with the shared-secret credentials (<c>use-auth-secret</c>), fingerprints, a realm, no TLS/DTLS
/// or TCP listeners here (the benchmark speaks UDP), no CLI, logging to a file. Its relay threads default to one per
/// core. <c>--allow-loopback-peers</c> only because the benchmark's peers are on loopback: never in production.
/// </summary>
internal static class Coturn
{
    public const string InstallHint = "coturn is not installed: install it with 'apt-get install -y coturn' (Debian/Ubuntu; .ci/run does)";
    public const string Realm = "bench.secretchat.invalid";
    public const string Secret = "benchmark-shared-secret-not-for-production";

    public static string Path =>
        new[] { "/usr/bin/turnserver", "/usr/sbin/turnserver", "/usr/local/bin/turnserver" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(InstallHint);

    /// <summary>Starts coturn on 127.0.0.1 and waits until it answers a STUN Binding request.</summary>
    public static (ServerProcess Process, IPEndPoint EndPoint) Start()
    {
        var port = ServerProcess.FreeUdpPort();
        var directory = Directory.CreateTempSubdirectory("secretchat-bench-coturn-").FullName;
        var relayPorts = 49152 + (port % 8000); // a range of its own, so two runs on one machine do not collide
        var process = ServerProcess.Start(Path,
        [
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", $"--listening-port={port}",
            $"--min-port={relayPorts}", $"--max-port={relayPorts + 999}",
            "--fingerprint", "--use-auth-secret", $"--static-auth-secret={Secret}", $"--realm={Realm}",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-tcp-relay", "--no-cli", "--no-multicast-peers", "--allow-loopback-peers",
            "--no-stdout-log", "--simple-log", $"--log-file={System.IO.Path.Combine(directory, "turn.log")}",
            $"--pidfile={System.IO.Path.Combine(directory, "turn.pid")}", $"--db={System.IO.Path.Combine(directory, "turndb")}",
        ], directory);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            process.WaitForUdpAnswer(endPoint, StunLoad.BindingRequest(), TimeSpan.FromSeconds(20));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return (process, endPoint);
    }
}
