using System.Globalization;
using System.Reflection;
using System.Text;

namespace SecretChat.Security.Identity;

/// <summary>
/// Unicode normalization (NFD, NFKD, NFC, NFKC) and the UTS #39 confusable skeleton, from the Unicode 17.0.0 tables
/// in the embedded <c>UnicodeNames.txt</c>. Implemented here because the app runs with invariant globalization, where
/// <see cref="string.Normalize()"/> leaves non-ASCII text unchanged.
/// </summary>
internal static class UnicodeNames
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(Tables.Load);

    /// <summary>The Unicode version of the tables.</summary>
    public const string Version = "17.0.0";

    public static string Nfd(string text) => ToString(Decompose(text, compatibility: false));

    public static string Nfkd(string text) => ToString(Decompose(text, compatibility: true));

    public static string Nfc(string text) => ToString(Compose(Decompose(text, compatibility: false)));

    public static string Nfkc(string text) => ToString(Compose(Decompose(text, compatibility: true)));

    /// <summary>UTS #39 section 4: skeleton(X) = NFD(X), each code point replaced by its prototype, then NFD again.</summary>
    public static string Skeleton(string text)
    {
        var tables = Data.Value;
        var mapped = new List<int>();
        foreach (var codePoint in Decompose(text, compatibility: false))
        {
            if (tables.Confusables.TryGetValue(codePoint, out var prototype))
                mapped.AddRange(prototype);
            else
                mapped.Add(codePoint);
        }
        return Nfd(ToString(mapped));
    }

    private static List<int> Decompose(string text, bool compatibility)
    {
        var tables = Data.Value;
        var output = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
            Append(output, rune.Value, compatibility, tables);
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        for (var i = 1; i < output.Count; i++)
        {
            var ccc = tables.CombiningClass(output[i]);
            if (ccc == 0)
                continue;
            var j = i;
            while (j > 0 && tables.CombiningClass(output[j - 1]) > ccc)
            {
                (output[j - 1], output[j]) = (output[j], output[j - 1]);
                j--;
            }
        }
        return output;
    }

    private static void Append(List<int> output, int codePoint, bool compatibility, Tables tables)
    {
        if (codePoint is >= SBase and < SBase + SCount)
        {
            var index = codePoint - SBase;
            output.Add(LBase + index / NCount);
            output.Add(VBase + index % NCount / TCount);
            if (index % TCount != 0)
                output.Add(TBase + index % TCount);
            return;
        }
        if (tables.Canonical.TryGetValue(codePoint, out var mapping)
            || (compatibility && tables.Compatibility.TryGetValue(codePoint, out mapping)))
        {
            foreach (var part in mapping)
                Append(output, part, compatibility, tables);
            return;
        }
        output.Add(codePoint);
    }

    private static List<int> Compose(List<int> decomposed)
    {
        var tables = Data.Value;
        if (decomposed.Count == 0)
            return decomposed;
        var output = new List<int>(decomposed.Count) { decomposed[0] };
        var starter = tables.CombiningClass(decomposed[0]) == 0 ? 0 : -1;
        var lastClass = 0;
        for (var i = 1; i < decomposed.Count; i++)
        {
            var codePoint = decomposed[i];
            var ccc = tables.CombiningClass(codePoint);
            // Not blocked: adjacent to the last starter, or every character between has a lower, non-zero class.
            var adjacent = output.Count - 1 == starter;
            if (starter >= 0 && (adjacent || (lastClass != 0 && lastClass < ccc))
                && TryCompose(output[starter], codePoint, tables, out var composite))
            {
                output[starter] = composite;
                continue;
            }
            if (ccc == 0)
                starter = output.Count;
            lastClass = ccc;
            output.Add(codePoint);
        }
        return output;
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return tables.Compositions.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static string ToString(List<int> codePoints)
    {
        var builder = new StringBuilder(codePoints.Count);
        foreach (var codePoint in codePoints)
            builder.Append(char.ConvertFromUtf32(codePoint));
        return builder.ToString();
    }

    private sealed class Tables
    {
        public Dictionary<int, int[]> Canonical { get; } = [];
        public Dictionary<int, int[]> Compatibility { get; } = [];
        public Dictionary<int, int[]> Confusables { get; } = [];
        public Dictionary<long, int> Compositions { get; } = [];
        private readonly Dictionary<int, byte> _combiningClasses = [];

        public int CombiningClass(int codePoint) => _combiningClasses.TryGetValue(codePoint, out var ccc) ? ccc : 0;

        public static Tables Load()
        {
            var tables = new Tables();
            var exclusions = new List<(int First, int Last)>();
            using var stream = typeof(UnicodeNames).Assembly.GetManifestResourceStream("SecretChat.Security.Identity.UnicodeNames.txt")
                ?? throw new InvalidOperationException("The embedded Unicode name tables are missing from SecretChat.Security.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length < 3 || line[0] == '#')
                    continue;
                var body = line.AsSpan(2);
                if (line[0] == 'x')
                {
                    var dots = body.IndexOf("..", StringComparison.Ordinal);
                    exclusions.Add((Hex(body[..dots]), Hex(body[(dots + 2)..])));
                    continue;
                }
                var semicolon = body.IndexOf(';');
                var codePoint = Hex(body[..semicolon]);
                var value = body[(semicolon + 1)..];
                switch (line[0])
                {
                    case 'c':
                        tables._combiningClasses[codePoint] = byte.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case 'd':
                        tables.Canonical[codePoint] = Sequence(value);
                        break;
                    case 'k':
                        tables.Compatibility[codePoint] = Sequence(value);
                        break;
                    case 'm':
                        tables.Confusables[codePoint] = Sequence(value);
                        break;
                    default:
                        break;
                }
            }
            foreach (var (codePoint, mapping) in tables.Canonical)
            {
                if (mapping.Length == 2 && !exclusions.Exists(range => codePoint >= range.First && codePoint <= range.Last))
                    tables.Compositions[((long)mapping[0] << 21) | (uint)mapping[1]] = codePoint;
            }
            return tables;
        }

        private static int Hex(ReadOnlySpan<char> text) => int.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        private static int[] Sequence(ReadOnlySpan<char> text)
        {
            var parts = new List<int>(4);
            foreach (var range in text.Split(' '))
            {
                if (!text[range].IsEmpty)
                    parts.Add(Hex(text[range]));
            }
            return [.. parts];
        }
    }
}
