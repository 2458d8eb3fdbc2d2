using System.Text.RegularExpressions;

namespace SecretChat.Packaging.Tests;

/// <summary>
/// docs/SECURITY.md backs each claim with the test that performs the attack, named in backticks (<c>Class.Method</c>
/// or <c>Method</c>). Every test it names must exist in <c>tests/</c>, in the class it names, so a renamed or deleted
/// test cannot leave a claim standing on nothing.
/// </summary>
public sealed partial class SecurityClaimsTests
{
    [Fact]
    public void SecurityDocument_EveryTestItNames_ExistsInItsClass()
    {
        var document = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "SECURITY.md"));
        var sources = Directory
            .EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();

        var named = NamedTest().Matches(document).Select(m => (Class: m.Groups["class"].Value, Method: m.Groups["method"].Value)).Distinct().ToList();
        var missing = named
            .Where(test => !sources.Any(source =>
                (test.Class.Length == 0 || Regex.IsMatch(source, $@"\bclass {test.Class}\b"))
                && Regex.IsMatch(source, $@"\b(void|Task) {test.Method}\(")))
            .Select(test => test.Class.Length == 0 ? test.Method : $"{test.Class}.{test.Method}")
            .ToList();

        Assert.True(named.Count >= 20, $"docs/SECURITY.md names only {named.Count} tests; the pattern may have stopped matching.");
        Assert.True(missing.Count == 0, "docs/SECURITY.md names tests that do not exist: " + string.Join(", ", missing));
    }

    // Subject_Scenario_Outcome: each part has a lower-case letter, so a Noise protocol name (Noise_XX_25519_...) is not one.
    [GeneratedRegex(@"`(?:(?<class>[A-Z][A-Za-z0-9]+)\.)?(?<method>[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*(?:_[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)+)`")]
    private static partial Regex NamedTest();
}
