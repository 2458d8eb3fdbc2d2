using System.Diagnostics;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// The handshake benchmarks' own operations in a plain loop, with counters that a shared machine does not
/// blur the way it blurs wall time: process CPU time, thread-pool work items and context switches per
/// handshake. Rows alternate round by round, so a burst of load from elsewhere falls on every row alike.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/SecretChat.Benchmarks -- --loop handshake [rounds] [per-round]</c>.
/// Wall and CPU time are the median over rounds of each round's mean; work items and context switches are
/// totals over all rounds divided by the handshakes (both sides of each handshake are in this process).
/// </remarks>
internal static class HandshakeLoop
{
    private static readonly (string Name, Func<HandshakeBenchmarks, Task> Run)[] AllRows =
    [
        ("Tls13_InMemory", b => b.Tls13_InMemory()),
        ("Noise_InMemory", b => b.Noise_InMemory()),
        ("NoiseHybrid_InMemory", b => b.NoiseHybrid_InMemory()),
        ("Tls13_Tcp", b => b.Tls13_Tcp()),
        ("Noise_Tcp", b => b.Noise_Tcp()),
        ("NoiseHybrid_Tcp", b => b.NoiseHybrid_Tcp()),
    ];

    private static (string Name, Func<HandshakeBenchmarks, Task> Run)[] Rows = AllRows;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
        var perRound = args.Length > 1 ? int.Parse(args[1]) : 100;
        // A third argument keeps only the rows whose name contains it (to profile one row alone).
        Rows = args.Length > 2 ? AllRows.Where(r => r.Name.Contains(args[2], StringComparison.OrdinalIgnoreCase)).ToArray() : AllRows;
        var benchmarks = new HandshakeBenchmarks();
        benchmarks.Setup();
        try
        {
            foreach (var (_, run) in Rows)
                for (var i = 0; i < perRound; i++)
                    await run(benchmarks);

            var samples = Rows.Select(_ => new Sample()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var row = 0; row < Rows.Length; row++)
                    await MeasureAsync(Rows[row].Run, benchmarks, perRound, samples[row]);
            }

            Console.WriteLine($"{rounds} rounds x {perRound} handshakes per row, rows interleaved; load average {ProcessClock.LoadAverage()}");
            Console.WriteLine($"{"row",-22}{"wall µs",10}{"cpu µs",10}{"tp items",10}{"ctx sw",10}{"alloc B",10}{"vs TLS",8}{"vs XX",8}");
            for (var row = 0; row < Rows.Length; row++)
            {
                var sample = samples[row];
                // Each row against the TLS and the classic noise row of its own category (InMemory or Tcp).
                var category = Rows[row].Name[(Rows[row].Name.IndexOf('_') + 1)..];
                var tls = Baseline($"Tls13_{category}") ?? sample;
                var classic = Baseline($"Noise_{category}") ?? sample;
                var handshakes = (double)rounds * perRound;
                Console.WriteLine(
                    $"{Rows[row].Name,-22}{ProcessClock.Median(sample.WallMicros),10:0}{ProcessClock.Median(sample.CpuMicros),10:0}" +
                    $"{sample.WorkItems / handshakes,10:0.0}{sample.ContextSwitches / handshakes,10:0.0}{sample.Allocated / handshakes,10:0}" +
                    $"{ProcessClock.Median(sample.WallMicros) / ProcessClock.Median(tls.WallMicros),8:0.00}{ProcessClock.Median(sample.WallMicros) / ProcessClock.Median(classic.WallMicros),8:0.00}");
            }

            Sample? Baseline(string name)
            {
                var index = Array.FindIndex(Rows, r => r.Name == name);
                return index < 0 ? null : samples[index];
            }
        }
        finally
        {
            benchmarks.Cleanup();
        }

        return 0;
    }

    private static async Task MeasureAsync(Func<HandshakeBenchmarks, Task> run, HandshakeBenchmarks benchmarks, int count, Sample sample)
    {
        var cpu = ProcessClock.CpuTime();
        var items = ThreadPool.CompletedWorkItemCount;
        var switches = ProcessClock.ContextSwitches();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
            await run(benchmarks);
        var elapsed = Stopwatch.GetElapsedTime(wall);
        sample.WallMicros.Add(elapsed.TotalMicroseconds / count);
        sample.CpuMicros.Add((ProcessClock.CpuTime() - cpu).TotalMicroseconds / count);
        sample.WorkItems += ThreadPool.CompletedWorkItemCount - items;
        sample.ContextSwitches += ProcessClock.ContextSwitches() - switches;
        sample.Allocated += GC.GetTotalAllocatedBytes(precise: true) - allocated;
    }

    private sealed class Sample
    {
        public List<double> WallMicros { get; } = [];
        public List<double> CpuMicros { get; } = [];
        public long WorkItems { get; set; }
        public long ContextSwitches { get; set; }
        public long Allocated { get; set; }
    }
}
