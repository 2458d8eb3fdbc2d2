namespace SecretChat.Tests;

/// <summary>A scratch folder for identities, pins and settings files, removed after the test.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "secretchat-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>A path inside the folder (nothing is created).</summary>
    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="contents"/> to <paramref name="name"/> in the folder and returns its path.</summary>
    public string WriteFile(string name, string contents)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>Identity and known-peers flags that keep a test's keys out of the user's home.</summary>
    public string[] IdentityArgs(string who) =>
        ["--identity", File(who, "identity.key"), "--known-peers", File(who, "known_peers.json")];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
