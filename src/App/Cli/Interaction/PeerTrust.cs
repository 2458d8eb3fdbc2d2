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
        ContactStatus.VerifiedByCode => "verified by code",
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
        ContactStatus.VerifiedByCode => "verified",
        _ => "unpinned",
    };

    /// <summary>
    /// How the peer is verified, for <c>--json</c>'s <c>"verified"</c> field: <c>code</c> (paired by code, now or
    /// before), <c>pinned</c> (a pinned key, verified by safety number or not yet), <c>new</c> (first seen, or just
    /// replaced); null where nothing is pinned.
    /// </summary>
    public static string? Verification(ContactStatus status) => status switch
    {
        ContactStatus.VerifiedByCode => "code",
        ContactStatus.Known or ContactStatus.Verified => "pinned",
        ContactStatus.New or ContactStatus.Replaced => "new",
        _ => null,
    };

    /// <summary>
    /// Adds <c>/verify</c>: shows the safety number and asks the user to confirm that the peer sees the same, then marks the
    /// connected peer as verified in <paramref name="knownPeersPath"/>. Where the mode has no safety number (rsa, pseudo)
    /// or no pins are kept (<paramref name="knownPeersPath"/> null), it says why it is not available.
    /// </summary>
    public static ConsoleCommands AddVerify(this ConsoleCommands commands, string? knownPeersPath) =>
        commands.Add(new ConsoleCommand("verify", "", "Compare the safety number with your peer, then mark the peer as verified.",
            async (context, _) =>
            {
                var connected = context.Connected;
                if (connected is null)
                {
                    context.MarkupLine("[yellow]Not connected yet.[/]");
                    return CommandOutcome.Continue;
                }
                if (connected.Fingerprint is not { } fingerprint || knownPeersPath is null)
                {
                    context.MarkupLine($"[yellow]{NoVerification(connected)}[/]");
                    return CommandOutcome.Continue;
                }

                context.MarkupLine($"Safety number with [bold]{connected.Peer}[/]: [bold green]{fingerprint}[/]");
                context.MarkupLine($"[grey]Compare it with {connected.Peer} over a channel you trust: a call, in person.[/]");
                var answer = await context.AskAsync($"[yellow]Does {connected.Peer} see the same number? Type yes to mark them verified.[/]").ConfigureAwait(false);
                if (answer?.Trim() is not { } yes || !(yes.Equals("yes", StringComparison.OrdinalIgnoreCase) || yes.Equals("y", StringComparison.OrdinalIgnoreCase)))
                {
                    context.MarkupLine($"[yellow]Not marked: {connected.Peer} stays {State(connected.Contact) ?? "not verified"}.[/]");
                    return CommandOutcome.Continue;
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
                return CommandOutcome.Continue;
            }));

    /// <summary>Why <c>/verify</c> cannot verify the peer of this session.</summary>
    public static string NoVerification(Connected connected) => ModeMarking.Of(connected.Encryption) switch
    {
        ModeMarking.Weakness.NotEncrypted =>
            $"/verify is not available in {connected.Encryption.Id} mode: it neither encrypts nor authenticates, so there is no key and no safety number to compare. Use noise to verify a peer.",
        ModeMarking.Weakness.NotAuthenticated =>
            $"/verify is not available in {connected.Encryption.Id} mode: nothing in it proves who the peer is, so there is no safety number to compare and a man in the middle cannot be ruled out. Use noise to verify a peer.",
        _ => $"/verify is not available here: this {connected.Encryption.Id} session keeps no pinned keys (it accepts any peer).",
    };

    /// <summary>
    /// Shows a refusal for a changed key with the pinned and the new safety numbers side by side, then asks for
    /// <c>/trust</c>; re-pins the presented key when the user types it. True when the key was accepted (the caller
    /// reconnects). <paramref name="localKey"/> is this side's public identity key (empty when it cannot be read: the
    /// numbers are then not shown).
    /// </summary>
    public static async Task<bool> OfferTrustAsync(InteractiveConsole console, PeerKeyChangedException changed, ReadOnlyMemory<byte> localKey)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(changed);
        console.Error(changed.Message);
        if (SideBySide(changed, localKey) is { } numbers)
            console.Screen.Show(numbers);
        console.Warn($"Compare the NEW number with {changed.PeerName} over a channel you trust. Type /trust to accept their new key and reconnect if they made a new identity; anything else gives up.");
        var answer = await console.Screen.AskAsync("[yellow]/trust?[/] > ").ConfigureAwait(false);
        if (!string.Equals(answer?.Trim(), "/trust", StringComparison.OrdinalIgnoreCase))
            return false;
        KnownPeers.Load(changed.KnownPeersPath).Replace(changed.PeerName, changed.PresentedKey);
        console.Info($"The new key of '{changed.PeerName}' is pinned (not verified: compare safety numbers, then /verify).");
        return true;
    }

    /// <summary>
    /// An interactive listener's question about a known peer that presents a changed key, while that peer waits: the
    /// refusal, both safety numbers side by side, then <c>/trust</c>. True accepts that one peer's new key (the caller
    /// re-pins it and the session goes on); anything else refuses it. Type-ahead from the wait is thrown away first.
    /// </summary>
    public static async Task<bool> AskToTrustAsync(InteractiveConsole console, PeerKeyChangedException changed, ReadOnlyMemory<byte> localKey)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(changed);
        console.Screen.DiscardTypeAhead();
        console.Error(changed.Message);
        if (SideBySide(changed, localKey) is { } numbers)
            console.Screen.Show(numbers);
        console.Warn($"{changed.PeerName} is waiting. Compare the NEW number with {changed.PeerName} over a channel you trust. Type /trust to accept their new key if they made a new identity; anything else refuses it.");
        var answer = await console.Screen.AskAsync("[yellow]/trust?[/] > ").ConfigureAwait(false);
        var trusted = string.Equals(answer?.Trim(), "/trust", StringComparison.OrdinalIgnoreCase);
        if (trusted)
            console.Info($"The new key of '{changed.PeerName}' is pinned (not verified: compare safety numbers, then /verify).");
        else
            console.Warn($"The new key of '{changed.PeerName}' was refused; they are told that you have another key pinned for them.");
        return trusted;
    }

    /// <summary>The safety number with the pinned key and with the key presented now, in two columns; null when either cannot be made.</summary>
    internal static Table? SideBySide(PeerKeyChangedException changed, ReadOnlyMemory<byte> localKey)
    {
        if (localKey.IsEmpty) return null;
        PeerContact? pinned;
        try
        {
            pinned = KnownPeers.Load(changed.KnownPeersPath).Check(changed.PeerName, changed.PresentedKey).Contact;
        }
        catch (Exception e) when (e is IdentityException or IOException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
        if (pinned is null) return null;
        var before = TwoRows(SafetyNumber.ForSession(localKey.Span, pinned.Key.Span).ToString());
        var now = TwoRows(SafetyNumber.ForSession(localKey.Span, changed.PresentedKey).ToString());
        return new Table().Border(TableBorder.Rounded)
            .AddColumn(TerminalMarkup.Of($"pinned for {pinned.Name.Value}{(pinned.IsVerified ? " (verified)" : "")}"))
            .AddColumn(TerminalMarkup.Of($"[bold red]NEW, presented now[/]"))
            .AddRow(Markup.Escape(before), $"[bold]{Markup.Escape(now)}[/]");
    }

    /// <summary>Twelve groups of five digits as two rows of six, so that two numbers fit side by side in 80 columns.</summary>
    private static string TwoRows(string number)
    {
        var groups = number.Split(' ');
        return groups.Length <= 6 ? number : string.Join(' ', groups[..6]) + "\n" + string.Join(' ', groups[6..]);
    }
}
