using System.Collections.Frozen;

namespace SecretChat.Web;

/// <summary>The page's files, embedded in the assembly (wwwroot/**): only these names are served.</summary>
internal static class StaticFiles
{
    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, byte[]> Files = Load();

    /// <summary>The file at <paramref name="path"/> ("/" is index.html) and its content type, or false.</summary>
    public static bool TryGet(string path, out byte[] content, out string contentType)
    {
        var name = path == "/" ? "index.html" : path.TrimStart('/');
        contentType = "";
        if (!Files.TryGetValue(name, out content!))
            return false;
        contentType = ContentTypes[Path.GetExtension(name)];
        return true;
    }

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(StaticFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("wwwroot/", StringComparison.Ordinal) || !ContentTypes.ContainsKey(Path.GetExtension(resource)))
                continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[resource["wwwroot/".Length..].Replace('\\', '/')] = copy.ToArray();
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
