using SecretChat.Chat;
using SecretChat.Security.Identity;

namespace SecretChat.Chat.Composition;

/// <summary>Where a session's pins live: <c>--known-peers</c>, else beside <c>--identity</c>, else the per-user default.</summary>
public static class KnownPeersLocation
{
    /// <summary>The full path of the known-peers file for <paramref name="options"/>.</summary>
    public static string Resolve(ChatOptions options)
    {
        if (options.KnownPeersPath is { } explicitPath)
            return Path.GetFullPath(explicitPath);
        if (options.IdentityPath is { } identity)
            return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(identity))!, KnownPeers.FileName);
        return KnownPeers.DefaultPath;
    }
}
