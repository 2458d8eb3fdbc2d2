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

internal static class LabSkip
{
    public static string? Reason() => LabEnvironment.IsCi || LabEnvironment.Problem is not { } problem
        ? null
        : $"The NAT lab cannot run here: {problem}. (Under CI=true this test fails instead.)";
}
