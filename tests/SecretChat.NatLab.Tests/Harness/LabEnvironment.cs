namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// Whether this machine can run the lab, asked once per test run: root, <c>ip netns</c>, veth, bridges,
/// iptables with MASQUERADE/statistic/conntrack, and the conntrack tool (the script's <c>check</c>).
/// </summary>
public static class LabEnvironment
{
    private static readonly Lazy<string?> s_problem = new(FindProblem);

    /// <summary>True under CI (<c>CI=true</c>): there the lab must run, so tests fail instead of skipping.</summary>
    public static bool IsCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The lab script, copied beside the tests.</summary>
    public static string Script { get; } = Path.Combine(AppContext.BaseDirectory, "natlab", "natlab.sh");

    /// <summary>
    /// The built <c>secretchat.dll</c> copied beside the tests, or the one <c>SECRETCHAT_NATLAB_DLL</c> names
    /// (to run the scenarios against another build).
    /// </summary>
    public static string SecretChatDll { get; } =
        Environment.GetEnvironmentVariable("SECRETCHAT_NATLAB_DLL") is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(AppContext.BaseDirectory, "secretchat.dll");

    /// <summary>Why the lab cannot run here, or null when it can.</summary>
    public static string? Problem => s_problem.Value;

    public static void ThrowIfUnavailable()
    {
        if (Problem is { } problem)
            throw new LabUnavailableException(problem);
    }

    private static string? FindProblem()
    {
        if (!OperatingSystem.IsLinux())
            return "it needs Linux network namespaces";
        if (!Environment.IsPrivilegedProcess)
            return "it needs root (run the tests as root, or in CI)";
        if (!File.Exists(Script))
            return $"the lab script is missing at {Script}";
        try
        {
            var check = LabCommand.RunAsync("bash", Script, "check").GetAwaiter().GetResult();
            return check.ExitCode == 0 ? null : check.Stderr.Trim().Replace("natlab: ", "", StringComparison.Ordinal);
        }
        catch (TimeoutException e)
        {
            return e.Message;
        }
    }
}
