using System.Diagnostics;
using System.Net;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Signaling;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// The load benchmarks' ratios in a plain loop (issue 18): rows alternating round by round against the same server
/// processes, wall time per answer on the client and CPU time per answer in the server's process, to cross-check
/// BenchmarkDotNet's ratios on a machine shared with other work.
/// </summary>
/// <remarks>
/// <c>-- --loop signaling [rounds] [answers-per-round] [sections]</c>: sections is a comma-separated choice of
/// <c>stun</c>, <c>relay</c>, <c>matches</c> and <c>memory</c> (all by default).
/// </remarks>
internal static class SignalingLoadLoop
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 10;
        var answers = args.Length > 1 ? int.Parse(args[1]) : 100_000;
        var sections = args.Length > 2 ? args[2].Split(',') : ["stun", "relay", "matches", "memory"];
        Console.WriteLine($"{rounds} rounds x {answers} answers per row; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var (coturnProcess, coturn) = Coturn.Start();
        var (signalProcess, signal) = SignalHost.Start();
        using (coturnProcess)
        using (signalProcess)
        using (var coturnLoad = StunServerBenchmarks.Load(coturn))
        using (var signalLoad = StunServerBenchmarks.Load(signal))
        {
            if (sections.Contains("stun"))
            {
                var rows = new[]
                {
                    new Row("STUN coturn", [coturnProcess.Id], () => coturnLoad.Run(answers, StunServerBenchmarks.Window)),
                    new Row("STUN secretchat", [signalProcess.Id], () => signalLoad.Run(answers, StunServerBenchmarks.Window)),
                };
                Measure(rows, rounds, answers);
                Console.WriteLine($"stalls (windows resent): coturn {coturnLoad.Resent}, secretchat {signalLoad.Resent}");
            }

            if (sections.Contains("relay"))
                MeasureRelay(coturnProcess, coturn, signalProcess, signal, rounds, answers);
            if (sections.Contains("matches"))
                MeasureMatches(signalProcess, signal, rounds, answers);
        }

        if (sections.Contains("memory"))
            MemoryPerRoom(Math.Max(100, answers / 20));

        Console.WriteLine($"load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        return 0;
    }

    private static void MeasureRelay(ServerProcess coturnProcess, IPEndPoint coturn, ServerProcess signalProcess, IPEndPoint signal, int rounds, int answers)
    {
        using var turn = RelayLoad.TurnAsync(coturn).GetAwaiter().GetResult();
        using var builtIn = RelayLoad.BuiltInAsync(signal).GetAwaiter().GetResult();
        var roundTrips = answers / 2;
        var relayRows = new[]
        {
            new Row("relay coturn TURN", [coturnProcess.Id], () => turn.Run(roundTrips, RelayBenchmarks.Window)),
            new Row("relay built-in", [signalProcess.Id], () => builtIn.Run(roundTrips, RelayBenchmarks.Window)),
        };
        Measure(relayRows, rounds, 2 * roundTrips);
        Console.WriteLine($"stalls (windows resent): coturn {turn.Resent}, built-in {builtIn.Resent}");
    }

    private static void MeasureMatches(ServerProcess signalProcess, IPEndPoint signal, int rounds, int answers)
    {
        var pairs = Math.Max(1, answers / 50);
        var cluster = new List<ServerProcess>();
        try
        {
            var nodes = RendezvousBenchmarks.StartNodes(cluster);
            var random = new Random(18);
            Measure(
            [
                new Row("matches, one node", [signalProcess.Id], () => RendezvousLoad.RunAsync([signal], pairs).GetAwaiter().GetResult()),
                new Row("matches, 3 nodes+Redis", [.. cluster.Select(p => p.Id)], () => RendezvousLoad.RunAsync(nodes, pairs, random).GetAwaiter().GetResult()),
            ], rounds, pairs);
        }
        finally
        {
            for (var i = cluster.Count - 1; i >= 0; i--) // the nodes before their Redis
                cluster[i].Dispose();
        }
    }

    /// <summary>
    /// Managed heap per paired room: a server in this process, <paramref name="pairs"/> pairs introduced (their clients then
    /// gone, their rooms kept), the heap after a full collection against before.
    /// </summary>
    private static void MemoryPerRoom(int pairs)
    {
        var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), SignalHost.Options);
        try
        {
            RendezvousLoad.RunAsync([server.LocalEndPoint], 64).GetAwaiter().GetResult(); // warm: code, pools, the source's entries
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var done = 0; done < pairs; done += 250) // in batches: thousands of new clients at once swamp a loaded machine
                RendezvousLoad.RunAsync([server.LocalEndPoint], Math.Min(250, pairs - done)).GetAwaiter().GetResult();
            var after = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"memory per paired room: {(after - before) / (double)pairs:N0} bytes of managed heap ({pairs} rooms, {server.Statistics.OpenRooms} open)");
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>A row: its name, the server processes whose CPU time it counts (all nodes and Redis for a cluster), one run.</summary>
    private sealed record Row(string Name, int[] ServerProcessIds, Action Invoke)
    {
        public List<double> Rates { get; } = [];
        public List<double> ServerCpu { get; } = [];
    }

    /// <summary>One warm-up round, then <paramref name="rounds"/> rounds of each row in turn; prints medians and the spread.</summary>
    private static void Measure(IReadOnlyList<Row> rows, int rounds, int perRound)
    {
        foreach (var row in rows)
            row.Invoke();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var row in rows)
            {
                var cpu = ServerCpu(row);
                var wall = Stopwatch.GetTimestamp();
                row.Invoke();
                var elapsed = Stopwatch.GetElapsedTime(wall);
                row.Rates.Add(perRound / elapsed.TotalSeconds);
                row.ServerCpu.Add((ServerCpu(row) - cpu).TotalMicroseconds / perRound);
            }
        }

        Console.WriteLine($"{"row",-22}{"per second",14}{"min",12}{"max",12}{"server cpu µs",16}{"vs first",10}");
        var baseline = Median(rows[0].Rates);
        foreach (var row in rows)
        {
            var rate = Median(row.Rates);
            Console.WriteLine($"{row.Name,-22}{rate,14:N0}{row.Rates.Min(),12:N0}{row.Rates.Max(),12:N0}{Median(row.ServerCpu),16:0.00}{rate / baseline,10:0.00}");
        }
    }

    private static TimeSpan ServerCpu(Row row)
    {
        var total = TimeSpan.Zero;
        foreach (var id in row.ServerProcessIds)
        {
            using var server = Process.GetProcessById(id);
            total += server.TotalProcessorTime;
        }

        return total;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
