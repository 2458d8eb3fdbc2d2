using System.Net;
using System.Net.Sockets;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// A <c>redis-server</c> of the benchmark's own (Debian package <c>redis-server</c>) on a free loopback port, keeping
/// nothing on disk (<c>--save '' --appendonly no</c>), as the three-node rendezvous row's shared room store. Killed on
/// dispose (it is a <see cref="ServerProcess"/>).
/// </summary>
internal static class Redis
{
    public const string InstallHint = "redis-server is not installed: install it with 'apt-get install -y redis-server' (Debian/Ubuntu; .ci/run does)";

    public static string Path =>
        new[] { "/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(InstallHint);

    /// <summary>Starts one on 127.0.0.1 and waits until it says it accepts connections; returns it and its <c>HOST:PORT</c>.</summary>
    public static (ServerProcess Process, string Address) Start()
    {
        var port = FreeTcpPort();
        var process = ServerProcess.Start(Path,
        [
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "notice", "--logfile", "",
        ]);
        try
        {
            process.WaitForLine(l => l.Contains("Ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return (process, $"127.0.0.1:{port}");
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    private static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
