using System.Globalization;
using System.Text;

namespace SecretChat.Security.Identity;

/// <summary>
/// A person's name as a peer announces it and as the user sees it: Unicode NFKC, 1 to <see cref="MaxLength"/>
/// characters (text elements, what a reader counts as characters) and at most <see cref="MaxUtf8Bytes"/> bytes of
/// UTF-8, with no control (Cc), format (Cf, which holds the zero-width and bidirectional controls), line or
/// paragraph separator, surrogate or unassigned code point, and no white space at either end.
/// <see cref="ComparisonKey"/> and <see cref="LooksLike"/> say whether two names could pass for each other on screen.
/// </summary>
public sealed class PeerName : IEquatable<PeerName>
{
    /// <summary>The most characters (text elements) a name holds.</summary>
    public const int MaxLength = 64;

    /// <summary>The most UTF-8 bytes a name holds (what the handshake carries).</summary>
    public const int MaxUtf8Bytes = 128;

    private readonly string _shapeKey;

    private PeerName(string value)
    {
        Value = value;
        ComparisonKey = UnicodeNames.Skeleton(Fold(value));
        _shapeKey = UnicodeNames.Skeleton(Fold(UnicodeNames.Skeleton(value)));
    }

    /// <summary>The name, NFKC-normalized.</summary>
    public string Value { get; }

    /// <summary>
    /// The name lower-cased (invariant, per code point) and reduced to its confusable skeleton (Unicode TR39 section 4:
    /// NFD, each character mapped to its prototype by confusables.txt, NFD): <c>Alice</c>, <c>аlice</c> (Cyrillic а)
    /// and <c>a1ice</c> share the key of <c>alice</c>; <c>rn</c> shares that of <c>m</c>.
    /// </summary>
    public string ComparisonKey { get; }

    /// <summary>
    /// Whether the two names could pass for each other: the same <see cref="ComparisonKey"/>, or the same skeleton
    /// taken before lower-casing (so that a capital I standing for an l is caught too).
    /// </summary>
    public bool LooksLike(PeerName other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(ComparisonKey, other.ComparisonKey, StringComparison.Ordinal)
            || string.Equals(_shapeKey, other._shapeKey, StringComparison.Ordinal);
    }

    /// <summary>Checks and normalizes <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The name is not allowed; the message says why, in one sentence.</exception>
    public static PeerName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var name, out var problem)
            ? name
            : throw new ArgumentException($"The name {Visible(text)} is not allowed: {problem}.", nameof(text));
    }

    /// <summary>
    /// Checks and normalizes <paramref name="text"/>; when it is not allowed, <paramref name="problem"/> says why
    /// (a clause such as "it holds an invisible formatting character U+200B").
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PeerName? name,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        name = null;
        problem = text is null ? "it is missing" : FindProblem(text);
        if (problem is not null)
            return false;
        var normalized = UnicodeNames.Nfkc(text!);
        problem = FindProblem(normalized) ?? LengthProblem(normalized);
        if (problem is not null)
            return false;
        name = new PeerName(normalized);
        return true;
    }

    /// <summary>
    /// <paramref name="text"/> in quotes, safe to show whatever it holds: every code point a name may not hold is
    /// written as <c>&lt;U+XXXX&gt;</c>, and only the first <see cref="MaxLength"/> characters are kept.
    /// </summary>
    public static string Visible(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 2).Append('\'');
        var count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (++count > MaxLength)
            {
                builder.Append('…');
                break;
            }
            if (Forbidden(rune) is null && rune.Value != '\'')
                builder.Append(rune.ToString());
            else
                builder.Append(CultureInfo.InvariantCulture, $"<U+{rune.Value:X4}>");
        }
        return builder.Append('\'').ToString();
    }

    /// <summary>The name itself.</summary>
    public override string ToString() => Value;

    /// <summary>Whether the two names are the same text (after NFKC); look-alikes are not equal: see <see cref="LooksLike"/>.</summary>
    public bool Equals(PeerName? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PeerName);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);

    private static string? FindProblem(string text)
    {
        if (text.Length == 0)
            return "it is empty";
        foreach (var rune in text.EnumerateRunes())
        {
            if (Forbidden(rune) is { } what)
                return $"it holds {what} U+{rune.Value:X4}";
        }
        // EnumerateRunes turns a lone surrogate into U+FFFD: find it in the UTF-16 itself.
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 1 < text.Length && char.IsSurrogatePair(text[i], text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return $"it holds a lone surrogate U+{(int)text[i]:X4}";
        }
        if (Rune.IsWhiteSpace(Rune.GetRuneAt(text, 0)) || char.IsWhiteSpace(text[^1]))
            return "it begins or ends with white space";
        return null;
    }

    private static string? LengthProblem(string normalized)
    {
        var bytes = Encoding.UTF8.GetByteCount(normalized);
        if (bytes > MaxUtf8Bytes)
            return $"it is {bytes} bytes of UTF-8, more than {MaxUtf8Bytes}";
        var length = new StringInfo(normalized).LengthInTextElements;
        return length > MaxLength ? $"it is {length} characters long, more than {MaxLength}" : null;
    }

    private static string? Forbidden(Rune rune)
    {
        if (rune.Value is >= 0x202A and <= 0x202E or >= 0x2066 and <= 0x2069 or 0x200E or 0x200F or 0x061C)
            return "a bidirectional text control";
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => "a control character",
            UnicodeCategory.Format => "an invisible formatting character",
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line or paragraph separator",
            UnicodeCategory.Surrogate => "a lone surrogate",
            UnicodeCategory.OtherNotAssigned => "an unassigned code point",
            _ => null,
        };
    }

    // Simple case mapping per code point: invariant globalization has no full case folding.
    private static string Fold(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            builder.Append(Rune.ToLowerInvariant(rune).ToString());
        return builder.ToString();
    }
}
