using SecretChat.Chat;
using SecretChat.Security.Identity;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// What a person does with pinned keys (noise): <c>/verify</c> after comparing safety numbers, and
/// <c>/trust</c> to accept a peer's changed key explicitly.
/// </summary>
internal static class PeerTrust
{
    /// <summary>
    /// What the user must know about the peer's key, in one sentence, or null when there is nothing to say (verified,
    /// or nothing pinned). A new or unverified contact is announced every time until <c>/verify</c>.
    /// </summary>
    public static string? ContactNotice(ContactStatus status) => status switch
    {
        ContactStatus.New => "NEW contact, not verified: compare the safety number, then /verify",
        ContactStatus.Known => "contact not verified yet: compare the safety number, then /verify",
        ContactStatus.Replaced => "contact's key REPLACED, not verified: compare the safety number, then /verify",
        _ => null,
    };

    /// <summary>What the banner and <c>/fingerprint</c> say about the safety number: verified, new, changed or not verified (null where nothing is pinned).</summary>
    public static string? State(ContactStatus status) => status switch
    {
        ContactStatus.New => "new contact, not verified",
        ContactStatus.Known => "not verified",
        ContactStatus.Verified => "verified",
        ContactStatus.Replaced => "key changed, not verified",
        _ => null,
    };

    /// <summary>The name event writers give the status (<c>--json</c>'s <c>"contact"</c> field).</summary>
    public static string Name(ContactStatus status) => status switch
    {
        ContactStatus.New => "new",
        ContactStatus.Known => "known",
        ContactStatus.Verified => "verified",
        ContactStatus.Replaced => "replaced",
        _ => "unpinned",
    };

    /// <summary>Adds <c>/verify</c>, which marks the connected peer as verified in <paramref name="knownPeersPath"/>.</summary>
    public static ConsoleCommands AddVerify(this ConsoleCommands commands, string knownPeersPath) =>
        commands.Add(new ConsoleCommand("verify", "", "Mark the peer as verified after comparing safety numbers out loud.",
            (context, _) =>
            {
                if (context.Connected is not { Fingerprint: not null } connected)
                {
                    context.MarkupLine("[yellow]Only noise sessions have a safety number to verify.[/]");
                    return Task.FromResult(CommandOutcome.Continue);
                }
                try
                {
                    // By key where the session says which key it was; the pinned name otherwise.
                    var pins = KnownPeers.Load(knownPeersPath);
                    if (connected.PeerKey.IsEmpty)
                        pins.MarkVerified(connected.Peer);
                    else
                        pins.MarkVerified(connected.PeerKey.Span);
                    context.MarkupLine($"[green]{connected.Peer} is now marked as verified.[/] A different key from them will be refused loudly.");
                }
                catch (Exception e) when (e is IdentityException or InvalidOperationException or IOException or ArgumentException)
                {
                    context.MarkupLine($"[red]{e.Message}[/]");
                }
                return Task.FromResult(CommandOutcome.Continue);
            }));

    /// <summary>
    /// Shows a refusal for a changed key and asks for <c>/trust</c>; re-pins the presented key when the
    /// user types it. True when the key was accepted (the caller reconnects).
    /// </summary>
    public static async Task<bool> OfferTrustAsync(InteractiveConsole console, ConsoleLines lines, PeerKeyChangedException changed)
    {
        console.Error(changed.Message);
        console.Warn($"Type /trust to accept the new key of '{changed.PeerName}' and reconnect; anything else gives up.");
        var answer = await lines.NextAsync().ConfigureAwait(false);
        lines.Consume();
        if (!string.Equals(answer?.Trim(), "/trust", StringComparison.OrdinalIgnoreCase))
            return false;
        KnownPeers.Load(changed.KnownPeersPath).Replace(changed.PeerName, changed.PresentedKey);
        console.Info($"The new key of '{changed.PeerName}' is pinned (not verified: compare safety numbers, then /verify).");
        return true;
    }
}
