using System.Diagnostics;
using System.Net;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// Instructions per operation in the signaling server's process, counted by callgrind (this machine has no hardware
/// counters for <c>perf stat</c>): the server runs under <c>valgrind --tool=callgrind --instr-atstart=no</c>, this
/// drives the same load as <see cref="SignalingLoadLoop"/> against it, warms it up, and switches callgrind's
/// instrumentation on for exactly the measured operations (<c>callgrind_control -i on</c>, then <c>-d</c> and
/// <c>-i off</c>). Instructions in the dump divided by the operations are the server's user-space instructions per
/// operation; the kernel's share (<c>recvfrom</c>, <c>sendto</c>) is not in them.
/// </summary>
/// <remarks>
/// Under callgrind an operation takes hundreds of microseconds, and the first ones after instrumentation is switched
/// on far longer (callgrind translates the code again): the load keeps one operation in flight from one socket, and
/// runs a share of its warm-up with instrumentation on before the counters are zeroed, so that no window is resent
/// inside the measured operations (checked: a resent window fails the run).
/// </remarks>
/// <remarks>
/// <c>-- --loop signaling-callgrind PID HOST:PORT stun|relay [operations] [warm-up operations]</c>, with the server
/// started as <c>valgrind --tool=callgrind --instr-atstart=no dotnet SecretChat.Benchmarks.dll --serve-signal</c>.
/// </para>
internal static class SignalingCallgrindLoop
{
    public static int Run(string[] args)
    {
        var pid = int.Parse(args[0]);
        var server = IPEndPoint.Parse(args[1]);
        var kind = args[2];
        var operations = args.Length > 3 ? int.Parse(args[3]) : 20_000;
        var warmUp = args.Length > 4 ? int.Parse(args[4]) : 20_000;
        Action<int> run;
        Func<long> resent;
        IDisposable load;
        if (kind == "stun")
        {
            var stun = new StunLoad(server, StunLoad.BindingRequest(), StunLoad.IsBindingSuccess, sockets: 1);
            (load, run, resent) = (stun, n => stun.Run(n, window: 1), () => stun.Resent);
        }
        else
        {
            var relay = RelayLoad.BuiltInAsync(server).GetAwaiter().GetResult();
            (load, run, resent) = (relay, n => relay.Run(n / 2, window: 1), () => relay.Resent); // a round trip crosses the server twice
        }

        using (load)
        {
            run(warmUp);
            Callgrind(pid, "-i", "on");
            run(Math.Max(100, warmUp / 10));
            Callgrind(pid, "-z");
            var before = resent();
            var wall = Stopwatch.GetTimestamp();
            run(operations);
            var elapsed = Stopwatch.GetElapsedTime(wall);
            Callgrind(pid, "-d", $"{kind}-{operations}");
            Callgrind(pid, "-i", "off");
            if (resent() != before)
                Console.WriteLine($"{resent() - before} windows were resent while measuring: divide by the server's recvmsg calls in the dump, not by the operations.");
            Console.WriteLine($"{kind}: {operations} operations measured in {elapsed.TotalSeconds:0.0} s under callgrind; divide the dump's Ir by {operations}");
        }

        return 0;
    }

    private static void Callgrind(int pid, params string[] arguments)
    {
        using var control = Process.Start(new ProcessStartInfo("callgrind_control", [.. arguments, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        control.StandardOutput.ReadToEnd();
        control.WaitForExit();
        if (control.ExitCode != 0)
            throw new InvalidOperationException($"callgrind_control {string.Join(' ', arguments)} {pid} failed ({control.ExitCode}).");
    }
}
