using System.Text.Json;
using SecretChat.Security.Identity;

namespace SecretChat.Web;

/// <summary>
/// The page's one door to the pins (the same known-peers file the console uses): whether a peer is verified, Verify,
/// and Trust for a changed key. Kept small so the pin store's next shape (pins by key, a contact status on the
/// connected event) changes only this class.
/// </summary>
internal sealed class Contacts(string knownPeersPath)
{
    public string KnownPeersPath { get; } = knownPeersPath;

    /// <summary>The names pinned now: taken before a session opens, it tells a first meeting (pinned during the handshake) from a known peer.</summary>
    public IReadOnlySet<string> PinnedNames()
    {
        try
        {
            return KnownPeers.Load(KnownPeersPath).Names.ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IdentityException or IOException or UnauthorizedAccessException)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// "new" (not pinned before this session: trust on first use pinned it just now), "verified", or "known" (pinned
    /// earlier, not verified).
    /// </summary>
    public string StatusOf(string peerName, IReadOnlySet<string> pinnedBefore)
    {
        if (!pinnedBefore.Contains(peerName))
            return "new";
        try
        {
            if (!File.Exists(KnownPeersPath)) return "new";
            using var document = JsonDocument.Parse(File.ReadAllBytes(KnownPeersPath));
            if (!document.RootElement.TryGetProperty("peers", out var peers)
                || peers.ValueKind != JsonValueKind.Object
                || !peers.TryGetProperty(peerName, out var entry))
                return "new";
            return entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("verified", out var verified)
                && verified.ValueKind == JsonValueKind.True ? "verified" : "known";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return "known"; // unreadable: claim nothing beyond what the session's verifier already accepted
        }
    }

    /// <summary>Marks the pinned peer as verified (after the two people compared the safety number).</summary>
    /// <returns>Null on success, else one sentence for the user.</returns>
    public string? MarkVerified(string peerName)
    {
        try
        {
            KnownPeers.Load(KnownPeersPath).MarkVerified(peerName);
            return null;
        }
        catch (Exception e) when (e is IdentityException or InvalidOperationException or IOException or ArgumentException)
        {
            return e.Message;
        }
    }

    /// <summary>Pins a changed key the user accepted explicitly (not verified: they compare again, then Verify).</summary>
    public string? Trust(string peerName, byte[] presentedKey)
    {
        try
        {
            KnownPeers.Load(KnownPeersPath).Replace(peerName, presentedKey);
            return null;
        }
        catch (Exception e) when (e is IdentityException or InvalidOperationException or IOException or ArgumentException)
        {
            return e.Message;
        }
    }
}
