using BenchmarkDotNet.Running;
using SecretChat.Benchmarks.Loops;

// The signaling server's own process for the load benchmarks (Infrastructure/SignalHost.cs).
if (args is [SecretChat.Benchmarks.Infrastructure.SignalHost.Flag])
    return await SecretChat.Benchmarks.Infrastructure.SignalHost.ServeAsync();
if (args is [SecretChat.Benchmarks.Infrastructure.SignalHost.Flag, SecretChat.Benchmarks.Infrastructure.SignalHost.RedisFlag, var redis])
    return await SecretChat.Benchmarks.Infrastructure.SignalHost.ServeAsync(redis);

// A plain loop with counters, to cross-check a ratio outside BenchmarkDotNet (see Loops/).
if (args is ["--loop", "handshake", ..])
    return await HandshakeLoop.RunAsync(args[2..]);
if (args is ["--loop", "throughput", ..])
    return await ThroughputLoop.RunTcpAsync(args[2..]);
if (args is ["--loop", "udp", ..])
    return await ThroughputLoop.RunUdpAsync(args[2..]);
if (args is ["--loop", "latency", ..])
    return await LatencyLoop.RunAsync(args[2..]);
if (args is ["--loop", "startup", ..])
    return await StartupLoop.RunAsync(args[2..]);
if (args is ["--loop", "signaling", ..])
    return SignalingLoadLoop.Run(args[2..]);
if (args is ["--loop", "signaling-callgrind", ..])
    return SignalingCallgrindLoop.Run(args[2..]);

// BenchmarkSwitcher gives the usual command line: --filter, --list flat, --job, --inProcess, --artifacts.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

// BenchmarkDotNet reports a benchmark that throws and carries on; CI must see it as a failure.
// --list and --help produce no summaries and are not failures.
var listing = args.Any(a => a is "--list" or "--help" or "-h" or "--version" or "--info");
var failed = summaries.Where(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success || r.ResultStatistics is null) || s.Reports.IsEmpty).ToList();
foreach (var summary in failed)
    Console.Error.WriteLine($"benchmarks: {summary.Title} failed (a benchmark threw, did not build, or was invalid).");
if (!listing && !summaries.Any())
{
    Console.Error.WriteLine("benchmarks: nothing ran (check --filter).");
    return 1;
}

return failed.Count == 0 ? 0 : 1;
