using System.Diagnostics;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// Start-up time of the program: from process start to its first useful output, over repeated process starts, for
/// <c>secretchat --version</c> (the version line) and <c>secretchat listen --tcp 127.0.0.1:0</c> (its "Listening on"
/// line, after which it is stopped). Runs alternate between the two; the first run of each is a warm-up (it also
/// creates the identity key in a scratch home, which a user's first run does once).
/// </summary>
/// <remarks>
/// <c>-- --loop startup [runs] [path-to-secretchat ...]</c>; the path defaults to the Release build of src/App/Cli. A
/// native (AOT) build is measured by passing its path, a framework-dependent one by passing its .dll (run through
/// <c>dotnet</c>); given several, their rows alternate in one run, so the JIT and native figures share its load. The child's CPU time is the change in <c>getrusage(RUSAGE_CHILDREN)</c> once it has been waited for.
/// </remarks>
internal static class StartupLoop
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0]) : 20;
        var programs = args.Length > 1 ? args[1..] : [DefaultProgram()];
        var home = Directory.CreateTempSubdirectory("secretchat-startup-");
        try
        {
            var rows = (
                from program in programs
                let launch = program.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", new[] { program }) : (program, Array.Empty<string>())
                let build = program.EndsWith(".dll", StringComparison.Ordinal) ? "JIT" : "native"
                from row in new (string Name, string Argument, Func<string, bool> Useful)[]
                {
                    ("--version", "--version", line => line.Trim().Length > 0),
                    ("listen ready", "listen", line => line.Contains("listening on", StringComparison.OrdinalIgnoreCase)),
                }
                select (Name: $"{build} {row.Name}", Command: launch.Item1,
                    Arguments: row.Argument == "listen" ? (string[])[.. launch.Item2, "listen", "--tcp", "127.0.0.1:0"] : [.. launch.Item2, row.Argument],
                    row.Useful)).ToArray();
            var samples = rows.Select(_ => (Useful: new List<double>(), Cpu: new List<double>())).ToArray();
            foreach (var program in programs)
                Console.WriteLine($"{(program.EndsWith(".dll", StringComparison.Ordinal) ? "JIT" : "native")}: {program}");
            Console.WriteLine($"{runs} starts per row, rows (and builds) alternating; load average {ProcessClock.LoadAverage()}");
            for (var run = -1; run < runs; run++)
            {
                for (var row = 0; row < rows.Length; row++)
                {
                    var (useful, cpu) = await StartAsync(rows[row].Command, rows[row].Arguments, rows[row].Useful, home.FullName);
                    if (run >= 0)
                    {
                        samples[row].Useful.Add(useful.TotalMilliseconds);
                        samples[row].Cpu.Add(cpu.TotalMilliseconds);
                    }
                }
            }

            Console.WriteLine($"{"row",-22}{"p50 ms",10}{"min ms",10}{"max ms",10}{"cpu ms",10}");
            for (var row = 0; row < rows.Length; row++)
            {
                var (useful, cpu) = samples[row];
                Console.WriteLine($"{rows[row].Name,-22}{ProcessClock.Median(useful),10:0.0}{useful.Min(),10:0.0}{useful.Max(),10:0.0}{ProcessClock.Median(cpu),10:0.0}");
            }
            Console.WriteLine($"load average at the end {ProcessClock.LoadAverage()}; cpu: the child's whole life (listen: until stopped right after its line)");
            return 0;
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static async Task<(TimeSpan Useful, TimeSpan Cpu)> StartAsync(string command, string[] arguments, Func<string, bool> useful, string home)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // A scratch home and config directory, so the runs neither read nor write the user's settings and keys.
        start.Environment["HOME"] = home;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var childrenCpu = ProcessClock.ChildrenCpuTime();
        var began = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start.");
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && useful(line))
                seen.TrySetResult(Stopwatch.GetTimestamp());
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var at = await seen.Task.WaitAsync(Patience);
            var elapsed = Stopwatch.GetElapsedTime(began, at);
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(Patience);
            return (elapsed, ProcessClock.ChildrenCpuTime() - childrenCpu);
        }
        catch (TimeoutException)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', arguments)} printed no useful line within {Patience.TotalSeconds} s.");
        }
    }

    private static string DefaultProgram()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SecretChat.sln")))
            directory = directory.Parent;
        return directory is null
            ? "secretchat"
            : Path.Combine(directory.FullName, "src", "App", "Cli", "bin", "Release", "net10.0", "secretchat");
    }
}
