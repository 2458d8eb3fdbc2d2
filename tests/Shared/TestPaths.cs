namespace SecretChat.Tests;

/// <summary>Locates the repository root and the shared external test vectors (read at test time, never copied in).</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The <c>shared/vectors</c> folder beside the repository (or <c>SECRETCHAT_VECTORS</c>).</summary>
    public static string Vectors { get; } = FindVectors();

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

    private static string FindVectors()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SECRETCHAT_VECTORS");
        if (!string.IsNullOrEmpty(fromEnvironment))
            return fromEnvironment;
        var candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "vectors"));
        if (Directory.Exists(candidate))
            return candidate;
        throw new DirectoryNotFoundException(
            $"The shared test vectors were not found at {candidate}; set SECRETCHAT_VECTORS to their folder.");
    }
}
