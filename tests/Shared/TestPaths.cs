namespace SecretChat.Tests;

/// <summary>Locates the repository root and the external test vectors kept in it (<c>tests/vectors</c>, sources in its README).</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The <c>tests/vectors</c> folder of this repository.</summary>
    public static string Vectors { get; } = Path.Combine(RepositoryRoot, "tests", "vectors");

    public static string Vector(params string[] parts) => Path.Combine([Vectors, .. parts]);

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SecretChat.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"SecretChat.sln not found above {AppContext.BaseDirectory}.");
    }
}
