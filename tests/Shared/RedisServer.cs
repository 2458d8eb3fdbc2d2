using System.Diagnostics;
using System.Net;

namespace SecretChat.Tests;

/// <summary>
/// A <c>redis-server</c> of its own on a free loopback port (Debian package <c>redis-server</c>): nothing saved, nothing
/// appended, killed on dispose whatever happened. Missing Redis skips the test with a plain reason, except on CI
/// (<c>CI=true</c>), where the test runs and fails saying what to install.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string InstallHint = "redis-server is not installed: install it with 'apt-get install -y redis-server' (Debian/Ubuntu)";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _path;
    private Process? _process;

    private RedisServer(string path, int port)
    {
        _path = path;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>Where it listens, 127.0.0.1 and its port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary><see cref="EndPoint"/> as <c>HOST:PORT</c>, the form <c>--redis</c> takes.</summary>
    public string Address => $"127.0.0.1:{EndPoint.Port}";

    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    public static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    /// <summary>Starts one and returns once it says it accepts connections (a failed assertion if it does not within 20 s).</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var path = Find() ?? throw new Xunit.Sdk.XunitException($"{InstallHint} (CI=true requires it).");
        var server = new RedisServer(path, LoopbackPorts.UnusedTcp());
        await server.RunAsync();
        return server;
    }

    /// <summary>Kills it (as a crash would: no shutdown); <see cref="RestartAsync"/> brings it back on the same port, empty.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(StartTimeout);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    public Task RestartAsync() => RunAsync();

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task RunAsync()
    {
        var info = new ProcessStartInfo(_path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "--port", EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "notice", "--logfile", "",
                 })
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new Xunit.Sdk.XunitException($"redis-server exited at start: {string.Join(" | ", output)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }
}

/// <summary>A fact that needs redis-server: skipped with the reason when it is missing, unless CI=true (then it fails).</summary>
internal sealed class RedisFactAttribute : Xunit.FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Find() is null && !RedisServer.IsCi)
            Skip = RedisServer.InstallHint + " (set CI=true to make this a failure).";
    }
}
