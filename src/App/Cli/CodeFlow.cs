using System.CommandLine;
using SecretChat.Chat;
using SecretChat.Cli.Settings;
using SecretChat.Security;
using SecretChat.Security.Pairing;

namespace SecretChat.Cli;

/// <summary>
/// Pairing with a short code on the command line (issue 15): <c>--code</c>, <c>--code-words</c> and the code argument of
/// <c>p2p</c>; a typo is caught here, before anything is sent. <see cref="Complete"/> is the seam for a line editor's Tab.
/// </summary>
internal static class CodeFlow
{
    /// <summary><c>--code-words N</c>: how many words a new code has.</summary>
    public static Option<int> WordsOption() => new("--code-words")
    {
        Description = $"How many words a new code has ({PairingCode.MinWordCount}-{PairingCode.MaxWordCount}, default {PairingCode.DefaultWordCount}: one guess in 65,536).",
        HelpName = "N",
        DefaultValueFactory = _ => PairingCode.DefaultWordCount,
        Validators =
        {
            result =>
            {
                var value = result.GetValueOrDefault<int>();
                if (value is < PairingCode.MinWordCount or > PairingCode.MaxWordCount)
                    result.AddError($"--code-words must be between {PairingCode.MinWordCount} and {PairingCode.MaxWordCount}.");
            },
        },
    };

    /// <summary>
    /// Reads a code the user typed; a typo becomes one sentence with the nearest word, and nothing is sent.
    /// <paramref name="needsNameplate"/>: p2p codes start with the server's number; direct-mode codes have none.
    /// </summary>
    /// <exception cref="SettingsException">The code is not a code.</exception>
    public static PairingCode Parse(string text, bool needsNameplate)
    {
        if (!PairingCode.TryParse(text, out var code, out var problem))
            throw new SettingsException($"That code is not right: {problem}. Nothing was sent.");
        if (needsNameplate && code.Nameplate is null)
            throw new SettingsException("A p2p code starts with its number, like 7-crossover-clockwork: type it as the other side shows it. Nothing was sent.");
        return code;
    }

    /// <summary>Refuses a code with a module that has no identity keys (rsa, pseudo), before anything is sent.</summary>
    /// <exception cref="SettingsException">The module is not noise.</exception>
    public static void CheckModule(ChatOptions options)
    {
        if (options.PairingCode is not null && !options.Encryption.HasFingerprint)
            throw new SettingsException(UserSentences.CodeNeedsNoise);
    }

    /// <summary>What Tab offers for a partly typed code: each candidate is the whole line with its last word completed.</summary>
    public static IReadOnlyList<string> Complete(string typed, int wordCount = PairingCode.DefaultWordCount) =>
        PairingCode.Complete(typed, wordCount);

    /// <summary>The two lines a person reads: the code, and what to run on the other machine.</summary>
    public static (string Code, string Instruction) Announcement(PairingCode code, string otherSide) =>
        ($"Your code is {code}", $"On the other machine run: {otherSide}");
}
