using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SecretChat.Benchmarks.Loops;

/// <summary>
/// The plain loops' one home for what they read from the process (CPU time, context switches, the load average) and
/// for the statistics they print (median, percentiles).
/// </summary>
internal static class ProcessClock
{
    private static readonly Process Self = Process.GetCurrentProcess();

    /// <summary>User plus system CPU time of every thread of this process so far.</summary>
    public static TimeSpan CpuTime()
    {
        Self.Refresh();
        return Self.TotalProcessorTime;
    }

    /// <summary>User plus system CPU time of every child process that has exited and been waited for (getrusage).</summary>
    public static TimeSpan ChildrenCpuTime()
    {
        if (!OperatingSystem.IsLinux() || getrusage(-1, out var usage) != 0)
            return TimeSpan.Zero;
        return TimeSpan.FromSeconds(usage.UserSeconds + usage.SystemSeconds) + TimeSpan.FromMicroseconds(usage.UserMicros + usage.SystemMicros);
    }

    /// <summary>The one-minute load average (Linux), or "?" where there is none.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>Voluntary plus involuntary context switches of every thread of this process (getrusage).</summary>
    public static long ContextSwitches()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        return getrusage(0, out var usage) == 0 ? usage.VoluntarySwitches + usage.InvoluntarySwitches : 0;
    }

    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);

    /// <summary>The nearest-rank percentile (<paramref name="percent"/> of 100) of <paramref name="values"/>.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double percent)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        if (percent == 50 && sorted.Length % 2 == 0)
            return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicros, SystemSeconds, SystemMicros;
        public long MaxRss, IxRss, IdRss, IsRss, MinorFaults, MajorFaults, Swaps, BlockIn, BlockOut, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }
}
