using System.Diagnostics;
using SecretChat.Security;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// The throughput benchmarks' own rows in a plain loop: wall and process CPU time per message, rows alternating round
/// by round (so a burst of load from elsewhere falls on every row alike), to cross-check BenchmarkDotNet's ratios on a
/// machine shared with other work. <c>--loop throughput</c> runs <see cref="TcpThroughputBenchmarks"/>' rows against
/// the queued TLS baseline, <c>--loop udp</c> <see cref="UdpThroughputBenchmarks"/>' against LiteNetLib.
/// </summary>
/// <remarks>
/// <c>-- --loop throughput|udp [rounds] [invocations-per-round] [row]</c>; one invocation is one benchmark operation
/// group (256 TCP or 64 UDP messages). Each figure is the median over rounds of a round's mean per message; CPU is the
/// whole process (sender and receiver both), so it counts what the machine spent on a message.
/// </remarks>
internal static class ThroughputLoop
{
    private static readonly int[] Sizes = [1024, TransportLimits.MaxMessageSize];

    public static Task<int> RunTcpAsync(string[] args) => RunAsync(args, "TCP", TcpThroughputBenchmarks.Messages, "Tls13Queued", size =>
    [
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "SocketCeiling", b => b.SetupCeiling(), b => b.SocketCeiling(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "Tls13Queued", b => b.SetupTlsQueued(), b => b.Tls13Queued(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "Tls13PerMessage", b => b.SetupTls(), b => b.Tls13PerMessage(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "Pseudo", b => b.SetupPseudo(), b => b.Pseudo(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "Rsa", b => b.SetupRsa(), b => b.Rsa(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "Noise", b => b.SetupNoise(), b => b.Noise(), b => b.Cleanup()),
        Row(new TcpThroughputBenchmarks { MessageSize = size }, "NoiseChaChaPoly", b => b.SetupNoiseChaChaPoly(), b => b.NoiseChaChaPoly(), b => b.Cleanup()),
    ]);

    public static Task<int> RunUdpAsync(string[] args) => RunAsync(args, "UDP", UdpThroughputBenchmarks.Messages, "LiteNetLib", size =>
    [
        Row(new UdpThroughputBenchmarks { MessageSize = size }, "RawUdp", b => b.SetupRaw(), b => b.RawUdp(), b => b.Cleanup()),
        Row(new UdpThroughputBenchmarks { MessageSize = size }, "LiteNetLib", b => b.SetupLiteNetLib(), b => b.LiteNetLibReliableOrdered(), b => b.Cleanup()),
        Row(new UdpThroughputBenchmarks { MessageSize = size }, "SecretChatUdp", b => b.SetupSecretChat(), b => b.SecretChatReliableUdp(), b => b.Cleanup()),
    ]);

    private static async Task<int> RunAsync(string[] args, string transport, int messagesPerInvocation, string baseline, Func<int, LoopRow[]> rowsOfSize)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 10;
        var perRound = args.Length > 1 ? int.Parse(args[1]) : 40;
        // A third argument keeps only the rows whose name contains it, and the baseline; "=Name" keeps that row
        // alone (to profile it: nothing else runs in the process). A fourth keeps one message size.
        var only = args.Length > 2 ? args[2] : null;
        var alone = only is not null && only.StartsWith('=');
        var sizes = args.Length > 3 ? [int.Parse(args[3])] : Sizes;
        Console.WriteLine($"{transport}: {rounds} rounds x {perRound} x {messagesPerInvocation} messages per row, rows alternating; load average {ProcessClock.LoadAverage()}");
        Console.WriteLine($"{"row",-24}{"wall µs/msg",13}{"cpu µs/msg",13}{"msg/s",12}{"MB/s",10}{"wall vs " + baseline,22}{"cpu vs " + baseline,22}");
        foreach (var size in sizes)
        {
            var rows = rowsOfSize(size).Where(r => only is null
                || (alone ? r.Name == only[1..] : r.Name == baseline || r.Name.Contains(only, StringComparison.OrdinalIgnoreCase))).ToArray();
            foreach (var row in rows)
                row.Setup();
            try
            {
                // Warm-up: one round of every row, not counted.
                foreach (var row in rows)
                    await MeasureAsync(row, perRound, messagesPerInvocation, counted: false);
                for (var round = 0; round < rounds; round++)
                    foreach (var row in rows)
                        await MeasureAsync(row, perRound, messagesPerInvocation, counted: true);

                var reference = rows.SingleOrDefault(r => r.Name == baseline) ?? rows[0];
                var (baseWall, baseCpu) = (ProcessClock.Median(reference.Wall), ProcessClock.Median(reference.Cpu));
                foreach (var row in rows)
                {
                    var (wall, cpu) = (ProcessClock.Median(row.Wall), ProcessClock.Median(row.Cpu));
                    Console.WriteLine(
                        $"{row.Name + " " + size,-24}{wall,13:0.00}{cpu,13:0.00}{1e6 / wall,12:N0}{size / wall,10:N0}" +
                        $"{baseWall / wall,22:0.00}{baseCpu / cpu,22:0.00}");
                }
            }
            finally
            {
                foreach (var row in rows)
                    row.Cleanup();
            }
        }

        Console.WriteLine($"load average at the end {ProcessClock.LoadAverage()}; ratios > 1: faster (wall) or cheaper (cpu) than {baseline}");
        return 0;
    }

    private static LoopRow Row<T>(T benchmarks, string name, Action<T> setup, Func<T, Task> invoke, Action<T> cleanup) =>
        new(name, () => setup(benchmarks), () => invoke(benchmarks), () => cleanup(benchmarks));

    private static async Task MeasureAsync(LoopRow row, int count, int messagesPerInvocation, bool counted)
    {
        var cpu = ProcessClock.CpuTime();
        var wall = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
            await row.Invoke();
        var elapsed = Stopwatch.GetElapsedTime(wall);
        var cpuSpent = ProcessClock.CpuTime() - cpu;
        if (!counted)
            return;
        var messages = (double)count * messagesPerInvocation;
        row.Wall.Add(elapsed.TotalMicroseconds / messages);
        row.Cpu.Add(cpuSpent.TotalMicroseconds / messages);
    }

    private sealed record LoopRow(string Name, Action Setup, Func<Task> Invoke, Action Cleanup)
    {
        public List<double> Wall { get; } = [];
        public List<double> Cpu { get; } = [];
    }
}
