using SecretChat.Chat;
using SecretChat.Security;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// How the console marks a weak security mode, everywhere the user looks (the listening line, the banner, the prompt):
/// <c>pseudo</c> (not encrypted) in red, <c>rsa</c> or any module that does not authenticate the peer in yellow, each
/// with a one-line reason. Only a mode that encrypts and authenticates is shown in green.
/// </summary>
internal static class ModeMarking
{
    /// <summary>Why an unencrypted session is marked.</summary>
    public const string NotEncryptedReason = "NOT ENCRYPTED: anyone on the path can read and change these messages.";

    /// <summary>Why a session whose peer is not authenticated is marked.</summary>
    public const string NotAuthenticatedReason =
        "the peer is NOT AUTHENTICATED: an active man in the middle can read and change this session, and there is no safety number to rule it out.";

    /// <summary>How weak a mode is, from what it promises.</summary>
    public static Weakness Of(SecurityModuleInfo module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!module.Capabilities.HasFlag(SecurityCapabilities.Confidential)) return Weakness.NotEncrypted;
        if (!module.Capabilities.HasFlag(SecurityCapabilities.AuthenticatesPeer)) return Weakness.NotAuthenticated;
        return Weakness.None;
    }

    /// <summary>The badge and its reason for a weak mode, as markup (for the listening line and the banner); null for a strong one.</summary>
    public static string? Warning(SecurityModuleInfo module) => Of(module) switch
    {
        Weakness.NotEncrypted => $"[bold white on red] {SecuritySummary.NotEncrypted} [/] [red]{Markup.Escape(module.Id)}: {NotEncryptedReason}[/]",
        Weakness.NotAuthenticated => $"[bold black on yellow] NOT AUTHENTICATED [/] [yellow]{Markup.Escape(module.Id)}: {NotAuthenticatedReason}[/]",
        _ => null,
    };

    /// <summary>The banner's title: who the peer is, and for a weak mode what is missing.</summary>
    public static string Title(Connected connected) => Of(connected.Encryption) switch
    {
        Weakness.NotEncrypted => TerminalMarkup.Of($"[bold red]connected to [bold]{connected.Peer}[/]: NOT ENCRYPTED[/]"),
        Weakness.NotAuthenticated => TerminalMarkup.Of($"[yellow]connected to [bold]{connected.Peer}[/]: peer NOT AUTHENTICATED ({connected.Encryption.Id})[/]"),
        _ => TerminalMarkup.Of($"[green]connected to [bold]{connected.Peer}[/][/]"),
    };

    /// <summary>The banner rule's colour.</summary>
    public static Style RuleStyle(Connected connected) => Of(connected.Encryption) switch
    {
        Weakness.NotEncrypted => new Style(Color.Red),
        Weakness.NotAuthenticated => new Style(Color.Yellow),
        _ => new Style(Color.Green),
    };

    /// <summary>The banner's lines on protection, as markup: what the mode does, and for a weak mode the badge with its reason.</summary>
    public static IEnumerable<string> Summary(Connected connected)
    {
        var summary = Markup.Escape(TerminalText.Escape(SecuritySummary.Describe(connected.Encryption)));
        switch (Of(connected.Encryption))
        {
            case Weakness.NotEncrypted:
                yield return $"[bold white on red] {SecuritySummary.NotEncrypted} [/] [red]{summary}[/]";
                break;
            case Weakness.NotAuthenticated:
                yield return $"[yellow]{summary}[/]";
                yield return Warning(connected.Encryption)!;
                yield return $"[grey]{SecuritySummary.PostQuantum(connected.IsPostQuantum)}[/]";
                if (ProtocolLine(connected) is { } weakProtocol)
                    yield return weakProtocol;
                break;
            default:
                yield return $"[green]{summary}[/]";
                yield return $"[grey]{SecuritySummary.PostQuantum(connected.IsPostQuantum)}[/]";
                if (ProtocolLine(connected) is { } protocol)
                    yield return protocol;
                break;
        }
    }

    /// <summary>The negotiated protocol as a grey markup line (banner and <c>/path</c>); null when the session did not say.</summary>
    public static string? ProtocolLine(Connected connected) =>
        SecuritySummary.Protocol(connected.Cipher) is { } line ? $"[grey]{Markup.Escape(TerminalText.Escape(line))}[/]" : null;

    /// <summary>The prompt: <c>&gt;</c>, behind a badge for a weak mode, so that the mark never scrolls away.</summary>
    public static string Prompt(Connected connected) => Of(connected.Encryption) switch
    {
        Weakness.NotEncrypted => $"[bold white on red] {SecuritySummary.NotEncrypted} [/] > ",
        Weakness.NotAuthenticated => $"[bold black on yellow] NOT AUTHENTICATED [/] > ",
        _ => $"[green]>[/] ",
    };

    /// <summary>What a mode lacks.</summary>
    internal enum Weakness
    {
        None,
        NotAuthenticated,
        NotEncrypted,
    }
}
