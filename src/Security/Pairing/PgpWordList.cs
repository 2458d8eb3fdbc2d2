using System.Collections.Frozen;
using System.Reflection;

namespace SecretChat.Security.Pairing;

/// <summary>
/// The PGP word list: 256 two-syllable "even" words and 256 three-syllable "odd" words, one of each per byte value, so a
/// word carries 8 bits and a dropped or swapped word lands in the wrong list. A code starts with an odd word and
/// alternates, as Magic Wormhole's codes do. Words are lower case here; the data (Data/PgpWords.txt) names its source.
/// </summary>
public static class PgpWordList
{
    private static readonly (string[] Even, string[] Odd) Lists = Load();
    private static readonly FrozenDictionary<string, byte> EvenBytes = Index(Lists.Even);
    private static readonly FrozenDictionary<string, byte> OddBytes = Index(Lists.Odd);

    /// <summary>The 256 even (two-syllable) words, by byte value.</summary>
    public static IReadOnlyList<string> Even => Lists.Even;

    /// <summary>The 256 odd (three-syllable) words, by byte value.</summary>
    public static IReadOnlyList<string> Odd => Lists.Odd;

    /// <summary>The list the word at <paramref name="position"/> (0 for the first word) comes from: odd first, then alternating.</summary>
    public static IReadOnlyList<string> ListFor(int position) => position % 2 == 0 ? Lists.Odd : Lists.Even;

    /// <summary>The word for <paramref name="value"/> at <paramref name="position"/> in a code.</summary>
    public static string WordFor(byte value, int position) => ListFor(position)[value];

    /// <summary>Finds <paramref name="word"/> (any case) in the list for <paramref name="position"/>.</summary>
    public static bool TryGetByte(string word, int position, out byte value)
    {
        ArgumentNullException.ThrowIfNull(word);
        return (position % 2 == 0 ? OddBytes : EvenBytes).TryGetValue(word.ToLowerInvariant(), out value);
    }

    /// <summary>True when <paramref name="word"/> (any case) is in the other list than the one for <paramref name="position"/>.</summary>
    public static bool IsInOtherList(string word, int position)
    {
        ArgumentNullException.ThrowIfNull(word);
        return (position % 2 == 0 ? EvenBytes : OddBytes).ContainsKey(word.ToLowerInvariant());
    }

    /// <summary>The words of the list for <paramref name="position"/> that start with <paramref name="prefix"/> (any case), in order.</summary>
    public static IReadOnlyList<string> WordsStartingWith(string prefix, int position)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var lower = prefix.ToLowerInvariant();
        return [.. ListFor(position).Where(word => word.StartsWith(lower, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    /// <summary>The word of the list for <paramref name="position"/> nearest to <paramref name="typed"/> (fewest edits; ties: the first in byte order).</summary>
    public static string Nearest(string typed, int position)
    {
        ArgumentNullException.ThrowIfNull(typed);
        var lower = typed.ToLowerInvariant();
        return ListFor(position).MinBy(word => EditDistance(lower, word))!;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static FrozenDictionary<string, byte> Index(string[] words) =>
        words.Select((word, i) => KeyValuePair.Create(word, (byte)i)).ToFrozenDictionary(StringComparer.Ordinal);

    private static (string[] Even, string[] Odd) Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("SecretChat.Security.Pairing.PgpWords.txt")
            ?? throw new InvalidOperationException("The PGP word list is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var even = new string[256];
        var odd = new string[256];
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = line.Split(' ');
            var value = Convert.ToByte(fields[0], 16);
            even[value] = fields[1].ToLowerInvariant();
            odd[value] = fields[2].ToLowerInvariant();
            count++;
        }
        if (count != 256 || even.Contains(null) || odd.Contains(null))
            throw new InvalidOperationException("The PGP word list in the assembly is incomplete.");
        return (even, odd);
    }
}
