using SecretChat.Chat;
using SecretChat.Security.Identity;

namespace SecretChat.Web;

/// <summary>
/// The page's one door to the pins (the same known-peers file the console uses): the contact status the session
/// reported, Verify (by key), and Trust for a changed key.
/// </summary>
internal sealed class Contacts(string knownPeersPath)
{
    public string KnownPeersPath { get; } = knownPeersPath;

    /// <summary>What the page shows of the peer's contact: "new", "known", "verified", "replaced", or null without pins.</summary>
    public static string? StatusOf(Connected connected) => connected.Contact switch
    {
        ContactStatus.New => "new",
        ContactStatus.Known => "known",
        ContactStatus.Verified or ContactStatus.VerifiedByCode => "verified",
        ContactStatus.Replaced => "replaced",
        _ => null,
    };

    /// <summary>Marks the connected peer's key as verified (after the two people compared the safety number).</summary>
    /// <returns>Null on success, else one sentence for the user.</returns>
    public string? MarkVerified(Connected connected)
    {
        try
        {
            var pins = KnownPeers.Load(KnownPeersPath);
            if (connected.PeerKey.IsEmpty)
                pins.MarkVerified(connected.Peer);
            else
                pins.MarkVerified(connected.PeerKey.Span);
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
