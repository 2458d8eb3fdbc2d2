using System.Diagnostics;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// <see cref="TcpThroughputBenchmarks"/>' noise and TLS rows in a plain loop: wall and process CPU time per message,
/// rows alternating round by round, to cross-check the BenchmarkDotNet ratio on a machine shared with other work.
/// </summary>
/// <remarks><c>-- --loop throughput [rounds] [invocations-per-round]</c>; one invocation is 256 messages.</remarks>
internal static class ThroughputLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 10;
        var perRound = args.Length > 1 ? int.Parse(args[1]) : 40;
        Console.WriteLine($"{rounds} rounds x {perRound} x {TcpThroughputBenchmarks.Messages} messages per row; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"row",-20}{"wall µs/msg",14}{"cpu µs/msg",14}{"wall vs TLS",14}{"cpu vs TLS",14}");
        foreach (var size in new[] { 1024, Security.TransportLimits.MaxMessageSize })
        {
            var tls = new TcpThroughputBenchmarks { MessageSize = size };
            var noise = new TcpThroughputBenchmarks { MessageSize = size };
            tls.SetupTls();
            noise.SetupNoise();
            try
            {
                var tlsSample = (Wall: new List<double>(), Cpu: new List<double>());
                var noiseSample = (Wall: new List<double>(), Cpu: new List<double>());
                await MeasureAsync(tls.SslStreamTls13, perRound, ([], []));
                await MeasureAsync(noise.Noise, perRound, ([], []));
                for (var round = 0; round < rounds; round++)
                {
                    await MeasureAsync(tls.SslStreamTls13, perRound, tlsSample);
                    await MeasureAsync(noise.Noise, perRound, noiseSample);
                }

                var (tlsWall, tlsCpu) = (Median(tlsSample.Wall), Median(tlsSample.Cpu));
                var (noiseWall, noiseCpu) = (Median(noiseSample.Wall), Median(noiseSample.Cpu));
                Console.WriteLine($"{"Tls13 " + size,-20}{tlsWall,14:0.00}{tlsCpu,14:0.00}{1.0,14:0.00}{1.0,14:0.00}");
                Console.WriteLine($"{"Noise " + size,-20}{noiseWall,14:0.00}{noiseCpu,14:0.00}{tlsWall / noiseWall,14:0.00}{tlsCpu / noiseCpu,14:0.00}");
            }
            finally
            {
                tls.Cleanup();
                noise.Cleanup();
            }
        }

        return 0;
    }

    private static async Task MeasureAsync(Func<Task> invoke, int count, (List<double> Wall, List<double> Cpu) sample)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
            await invoke();
        var elapsed = Stopwatch.GetElapsedTime(wall);
        process.Refresh();
        var messages = (double)count * TcpThroughputBenchmarks.Messages;
        sample.Wall.Add(elapsed.TotalMicroseconds / messages);
        sample.Cpu.Add((process.TotalProcessorTime - cpu).TotalMicroseconds / messages);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
