using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// <see cref="LatencyBenchmarks"/>' and <see cref="AckLatencyBenchmarks"/>' rows in a plain loop, for what
/// BenchmarkDotNet does not report: p50 and p99 of each probe's latency (and the mean, and process CPU per probe),
/// rows alternating round by round, idle and with a bulk transfer in the same session.
/// </summary>
/// <remarks>
/// <c>-- --loop latency [rounds] [probes-per-round] [row]</c>. Percentiles are over every probe of every round; each
/// probe is timed from the call that sends it to the moment the receiving thread has it (or the acknowledgement's
/// event fires), so the loop's own hop back is not counted.
/// </remarks>
internal static class LatencyLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 10;
        var perRound = args.Length > 1 ? int.Parse(args[1]) : 200;
        var only = args.Length > 2 ? args[2] : null;
        var names = LatencyRigs.Delivered.Concat(LatencyRigs.Acknowledged)
            .Where(n => only is null || n.Contains(only, StringComparison.OrdinalIgnoreCase))
            .ToArray();
        // A row is shown against its baseline: keep the baselines of the rows chosen.
        names = names.Concat(names.Select(LatencyRigs.BaselineOf)).Distinct().ToArray();
        Console.WriteLine($"{rounds} rounds x {perRound} probes of {LatencyRig.ProbeSize} B per row, rows alternating; load average {ProcessClock.LoadAverage()}");
        Console.WriteLine($"{"row",-22}{"bulk",6}{"p50 µs",10}{"p99 µs",10}{"mean µs",10}{"cpu µs",10}{"p50 vs base",13}{"p99 vs base",13}{"bulk MB/s",11}");
        foreach (var bulk in new[] { false, true })
        {
            // No acknowledged rows under bulk (see AckLatencyBenchmarks).
            var rows = names.Where(n => !bulk || !LatencyRigs.Acknowledged.Contains(n)).ToArray();
            var rigs = new List<LatencyRig>();
            try
            {
                foreach (var name in rows)
                    rigs.Add(await LatencyRigs.CreateAsync(name));
                var samples = rows.ToDictionary(n => n, _ => (Latency: new List<double>(), Cpu: new List<double>(), BulkRate: new List<double>()));
                for (var round = -1; round < rounds; round++)
                {
                    foreach (var rig in rigs)
                    {
                        if (bulk)
                            rig.StartBulk();
                        var cpu = ProcessClock.CpuTime();
                        var (bulkBefore, wall) = (rig.BulkDelivered, System.Diagnostics.Stopwatch.GetTimestamp());
                        var latencies = new List<double>(perRound);
                        for (var i = 0; i < perRound; i++)
                            latencies.Add((await rig.ProbeAsync()).TotalMicroseconds);
                        var spent = ProcessClock.CpuTime() - cpu;
                        var bulkRate = (rig.BulkDelivered - bulkBefore) * (double)LatencyRig.BulkSize / System.Diagnostics.Stopwatch.GetElapsedTime(wall).TotalMicroseconds;
                        if (bulk)
                            await rig.StopBulkAsync();
                        if (round < 0)
                            continue; // warm-up
                        samples[rig.Name].Latency.AddRange(latencies);
                        samples[rig.Name].Cpu.Add(spent.TotalMicroseconds / perRound);
                        samples[rig.Name].BulkRate.Add(bulkRate);
                    }
                }

                foreach (var name in rows)
                {
                    var (latency, cpu, bulkRates) = samples[name];
                    var baseline = samples[LatencyRigs.BaselineOf(name)].Latency;
                    var (p50, p99) = (ProcessClock.Percentile(latency, 50), ProcessClock.Percentile(latency, 99));
                    Console.WriteLine(
                        $"{name,-22}{(bulk ? "yes" : "no"),6}{p50,10:0.0}{p99,10:0.0}{latency.Average(),10:0.0}{ProcessClock.Median(cpu),10:0.0}" +
                        $"{p50 / ProcessClock.Percentile(baseline, 50),13:0.00}{p99 / ProcessClock.Percentile(baseline, 99),13:0.00}{(bulk ? ProcessClock.Median(bulkRates).ToString("0") : "-"),11}");
                }
            }
            finally
            {
                foreach (var rig in rigs)
                    await rig.DisposeAsync();
            }
        }

        Console.WriteLine($"load average at the end {ProcessClock.LoadAverage()}; ratios < 1: lower latency than the baseline; cpu is the whole process per probe (with bulk: the bulk transfer's too)");
        return 0;
    }
}
