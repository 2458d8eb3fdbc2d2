namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// A test that needs the lab. Where the lab cannot run it is skipped with the reason, except under CI
/// (<c>CI=true</c>), where it runs and fails with the reason: CI must never pass without the lab.
/// </summary>
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute() => Skip = LabSkip.Reason();
}

/// <inheritdoc cref="LabFactAttribute"/>
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute() => Skip = LabSkip.Reason();
}

/// <summary>
/// A scenario that runs <c>secretchat signal</c> and <c>secretchat p2p</c> across the lab. Besides the lab's own
/// rule, it is skipped (also under CI) while the built binary says those commands are not available yet.
/// </summary>
public sealed class P2pFactAttribute : FactAttribute
{
    public P2pFactAttribute() => Skip = LabSkip.Reason() ?? LabSkip.P2pMissing();
}

internal static class LabSkip
{
    private static readonly Lazy<string?> s_p2pMissing = new(FindP2pMissing);

    public static string? Reason() => LabEnvironment.IsCi || LabEnvironment.Problem is not { } problem
        ? null
        : $"The NAT lab cannot run here: {problem}. (Under CI=true this test fails instead.)";

    public static string? P2pMissing() => s_p2pMissing.Value;

    private static string? FindP2pMissing()
    {
        foreach (var command in new[] { "signal", "p2p" })
        {
            var help = LabCommand.RunAsync("dotnet", LabEnvironment.SecretChatDll, command, "--help").GetAwaiter().GetResult();
            if ((help.Stdout + help.Stderr).Contains("not available yet", StringComparison.OrdinalIgnoreCase))
                return $"'secretchat {command}' is not available yet in this build; this scenario runs once it lands.";
        }
        return null;
    }
}
