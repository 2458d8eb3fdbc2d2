using SecretChat.Chat;
using SecretChat.Security.Identity;

namespace SecretChat.Cli.Settings;

/// <summary>
/// Notices the first run: whether the identity key file existed before a session was opened, so that the one run that
/// creates it can say where (once: afterwards the file exists).
/// </summary>
internal sealed class IdentityNotice
{
    private readonly string? _path;
    private bool _told;

    private IdentityNotice(string? path) => _path = path;

    /// <summary>Looks before the connector runs: only a module with an identity (noise) whose file is missing can create one.</summary>
    public static IdentityNotice Before(ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Encryption.HasFingerprint)
            return new(null);
        var path = Path.GetFullPath(options.IdentityPath ?? IdentityStore.DefaultPath);
        return new(File.Exists(path) ? null : path);
    }

    /// <summary>The sentence to show if the identity was created since <see cref="Before"/> and nothing was said yet; else null.</summary>
    public string? Sentence()
    {
        if (_told || _path is null || !File.Exists(_path))
            return null;
        _told = true;
        return Created(_path);
    }

    /// <summary>What a first run says.</summary>
    public static string Created(string path) =>
        $"Created your identity key at {path}: it is who you are to your peers; keep it private and back it up (lose it and every peer sees a new key).";
}
