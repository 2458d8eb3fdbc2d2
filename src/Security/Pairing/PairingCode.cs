using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace SecretChat.Security.Pairing;

/// <summary>
/// A short code two people use to pair: <c>NAMEPLATE-WORD-WORD</c>, where the nameplate is a small number a signaling
/// server allocated (the meeting point, the only part the server sees) and the words come from the PGP word list (8 bits
/// each; the first from the odd list, then alternating). In the direct modes a code has no nameplate. The words, lower
/// case and joined by '-', are the password of the pairing (<see cref="CodePairing"/>); the server sees only the nameplate.
/// </summary>
public sealed record PairingCode
{
    /// <summary>The number of words a code has unless the user asks for more: 16 bits, one chance in 65,536 per guess.</summary>
    public const int DefaultWordCount = 2;

    /// <summary>The fewest words a code may have.</summary>
    public const int MinWordCount = 2;

    /// <summary>The most words a code may have (64 bits).</summary>
    public const int MaxWordCount = 8;

    /// <summary>The largest nameplate (it travels as a 16-bit number).</summary>
    public const int MaxNameplate = ushort.MaxValue;

    private PairingCode(int? nameplate, string[] words)
    {
        Nameplate = nameplate;
        Words = words;
    }

    /// <summary>The server-allocated meeting point, or null for a code of the direct modes.</summary>
    public int? Nameplate { get; }

    /// <summary>The words, lower case, in order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>A new code of <paramref name="wordCount"/> random words, under <paramref name="nameplate"/> if given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A word count or nameplate outside the allowed range.</exception>
    public static PairingCode Generate(int wordCount = DefaultWordCount, int? nameplate = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wordCount, MinWordCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wordCount, MaxWordCount);
        CheckNameplate(nameplate);
        var bytes = RandomNumberGenerator.GetBytes(wordCount);
        return new PairingCode(nameplate, [.. bytes.Select((value, position) => PgpWordList.WordFor(value, position))]);
    }

    /// <summary>The same words under another nameplate (the server allocates it after the words are drawn).</summary>
    public PairingCode WithNameplate(int? nameplate)
    {
        CheckNameplate(nameplate);
        return new PairingCode(nameplate, [.. Words]);
    }

    /// <summary>
    /// Reads a code as a person typed it: any case, surrounding spaces ignored. On failure <paramref name="problem"/> says
    /// what is wrong in one clause, with the nearest word for a typo, so nothing is sent with a mistyped code.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PairingCode? code, [NotNullWhen(false)] out string? problem)
    {
        code = null;
        var parts = (text ?? "").Trim().Split('-');
        int? nameplate = null;
        var first = 0;
        if (parts[0].Length > 0 && parts[0].All(char.IsAsciiDigit))
        {
            if (parts[0].Length > 5 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > MaxNameplate)
            {
                problem = $"the number at its start must be between 1 and {MaxNameplate}";
                return false;
            }
            nameplate = number;
            first = 1;
        }
        var typed = parts[first..];
        if (typed.Length < MinWordCount || typed.Length > MaxWordCount || typed.Any(word => word.Length == 0))
        {
            problem = $"a code is a number and {MinWordCount} to {MaxWordCount} words joined by '-', like 7-crossover-clockwork";
            return false;
        }
        var words = new string[typed.Length];
        for (var position = 0; position < typed.Length; position++)
        {
            var word = typed[position];
            if (!PgpWordList.TryGetByte(word, position, out var value))
            {
                problem = PgpWordList.IsInOtherList(word, position)
                    ? $"word {position + 1}, '{Shown(word)}', belongs at the other place (words swapped or one left out?)"
                    : $"word {position + 1}, '{Shown(word)}', is not in the word list: did you mean '{PgpWordList.Nearest(Shown(word), position)}'?";
                return false;
            }
            words[position] = PgpWordList.WordFor(value, position);
        }
        code = new PairingCode(nameplate, words);
        problem = null;
        return true;
    }

    /// <summary>
    /// What a partly typed code can become: the typed text with its last word completed, one candidate per matching word
    /// (with a '-' behind it while more words are expected), in order; empty when nothing matches. The text before the
    /// last '-' is kept as typed.
    /// </summary>
    public static IReadOnlyList<string> Complete(string typed, int wordCount = DefaultWordCount)
    {
        ArgumentNullException.ThrowIfNull(typed);
        var lastDash = typed.LastIndexOf('-');
        var head = typed[..(lastDash + 1)];
        var partial = typed[(lastDash + 1)..];
        var parts = head.Split('-', StringSplitOptions.RemoveEmptyEntries);
        var wordsBefore = parts.Length > 0 && parts[0].All(char.IsAsciiDigit) ? parts.Length - 1 : parts.Length;
        if (lastDash < 0 && partial.All(char.IsAsciiDigit))
            return [];
        if (wordsBefore >= MaxWordCount)
            return [];
        var more = wordsBefore + 1 < wordCount ? "-" : "";
        return [.. PgpWordList.WordsStartingWith(partial, wordsBefore).Select(word => head + word + more)];
    }

    /// <summary>The code as people read it: <c>7-crossover-clockwork</c>, or <c>crossover-clockwork</c> without a nameplate.</summary>
    public override string ToString() =>
        Nameplate is { } number ? $"{number.ToString(CultureInfo.InvariantCulture)}-{string.Join('-', Words)}" : string.Join('-', Words);

    /// <inheritdoc/>
    public bool Equals(PairingCode? other) => other is not null && Nameplate == other.Nameplate && Words.SequenceEqual(other.Words);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static void CheckNameplate(int? nameplate)
    {
        if (nameplate is { } number)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(number, 1, nameof(nameplate));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(number, MaxNameplate, nameof(nameplate));
        }
    }

    // A typed word is shown back in the problem sentence: keep it short and printable.
    private static string Shown(string word) =>
        new([.. word.Where(c => char.IsAsciiLetterOrDigit(c)).Take(24).Select(char.ToLowerInvariant)]);
}
