using System.Globalization;
using System.Text;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// The line being typed at the prompt: editing (Left/Right, Home/End, Backspace/Delete, Ctrl+A/E/U/K/W), history
/// (Up/Down) and Tab completion of slash commands. Pure state: <see cref="ChatScreen"/> feeds it keys and draws it.
/// </summary>
/// <remarks>
/// Why not a library: RadLine (0.6.0, the one the issue names, a preview) reads a line by owning the console until Enter;
/// it has no way to print above the prompt while its ReadLine is pending (its state and renderer are internal, and
/// writing meanwhile breaks its cursor bookkeeping), and printing incoming messages while the user types is the point
/// here. PrettyPrompt and ReadLine-style libraries have the same shape. So this is a small editor of our own: one row
/// (the text scrolls sideways when it is longer than the terminal), so that erasing and redrawing it is one row.
/// </remarks>
internal sealed class InputLine
{
    /// <summary>How many submitted lines Up/Down go back through.</summary>
    public const int HistoryLimit = 100;

    private readonly StringBuilder _text = new();
    private readonly List<string> _history = [];
    private readonly Func<IEnumerable<string>> _completions;
    private int _cursor;
    private int _historyIndex;
    private string _draft = "";

    /// <param name="completions">What Tab completes a word starting with <c>/</c> to (e.g. <c>/quit</c>).</param>
    public InputLine(Func<IEnumerable<string>>? completions = null) => _completions = completions ?? (() => []);

    /// <summary>What has been typed so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Where the cursor is, in UTF-16 units from the start.</summary>
    public int Cursor => _cursor;

    /// <summary>What the last Tab offered when it could not complete (several commands match), else empty.</summary>
    public IReadOnlyList<string> Candidates { get; private set; } = [];

    /// <summary>Forgets what was typed (not the history).</summary>
    public void Clear()
    {
        _text.Clear();
        _cursor = 0;
        _historyIndex = _history.Count;
        Candidates = [];
    }

    /// <summary>
    /// Applies one key. Returns <see cref="KeyOutcome.Submitted"/> with the line for Enter, <see cref="KeyOutcome.EndOfInput"/>
    /// for Ctrl+D on an empty line, else <see cref="KeyOutcome.Edited"/> (redraw) or <see cref="KeyOutcome.Ignored"/>.
    /// </summary>
    public KeyOutcome Apply(ConsoleKeyInfo key, out string? submitted)
    {
        submitted = null;
        Candidates = [];
        var control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                submitted = Text;
                if (submitted.Length > 0 && (_history.Count == 0 || _history[^1] != submitted))
                {
                    _history.Add(submitted);
                    if (_history.Count > HistoryLimit) _history.RemoveAt(0);
                }
                Clear();
                return KeyOutcome.Submitted;
            case ConsoleKey.D when control:
                if (_text.Length == 0) return KeyOutcome.EndOfInput;
                return Delete();
            case ConsoleKey.LeftArrow:
            case ConsoleKey.B when control:
                return Move(_cursor == 0 ? 0 : _cursor - PreviousElementLength(_cursor));
            case ConsoleKey.RightArrow:
            case ConsoleKey.F when control:
                return Move(_cursor == _text.Length ? _cursor : _cursor + NextElementLength(_cursor));
            case ConsoleKey.Home:
            case ConsoleKey.A when control:
                return Move(0);
            case ConsoleKey.End:
            case ConsoleKey.E when control:
                return Move(_text.Length);
            case ConsoleKey.Backspace:
            case ConsoleKey.H when control:
                if (_cursor == 0) return KeyOutcome.Ignored;
                var back = PreviousElementLength(_cursor);
                _text.Remove(_cursor - back, back);
                _cursor -= back;
                return KeyOutcome.Edited;
            case ConsoleKey.Delete:
                return Delete();
            case ConsoleKey.U when control:
                _text.Remove(0, _cursor);
                _cursor = 0;
                return KeyOutcome.Edited;
            case ConsoleKey.K when control:
                _text.Remove(_cursor, _text.Length - _cursor);
                return KeyOutcome.Edited;
            case ConsoleKey.W when control:
                var start = _cursor;
                while (start > 0 && _text[start - 1] == ' ') start--;
                while (start > 0 && _text[start - 1] != ' ') start--;
                _text.Remove(start, _cursor - start);
                _cursor = start;
                return KeyOutcome.Edited;
            case ConsoleKey.UpArrow:
            case ConsoleKey.P when control:
                return Recall(_historyIndex - 1);
            case ConsoleKey.DownArrow:
            case ConsoleKey.N when control:
                return Recall(_historyIndex + 1);
            case ConsoleKey.Tab:
                return Complete();
        }

        // Only printable characters are ever inserted: a pasted ESC or other control never reaches the line (or the terminal).
        var c = key.KeyChar;
        if (control || c == '\0' || TerminalText.IsEscaped(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            return KeyOutcome.Ignored;
        _text.Insert(_cursor, c);
        _cursor++;
        return KeyOutcome.Edited;
    }

    /// <summary>
    /// The part of the line to show in <paramref name="columns"/> terminal columns, and the cursor's column in it: all of
    /// it when it fits, else a window that keeps the cursor in view.
    /// </summary>
    public (string Visible, int CursorColumn) View(int columns)
    {
        columns = Math.Max(4, columns);
        var text = Text;
        if (ColumnsOf(text) < columns)
            return (text, ColumnsOf(text.AsSpan(0, _cursor)));

        // Start from the cursor and take characters to the left until about two thirds of the room is used, then fill the rest to the right.
        var left = _cursor;
        var used = 0;
        while (left > 0)
        {
            var length = PreviousElementLength(left);
            var width = ColumnsOf(text.AsSpan(left - length, length));
            if (used + width > columns * 2 / 3) break;
            used += width;
            left -= length;
        }
        var right = _cursor;
        var total = used;
        while (right < text.Length)
        {
            var length = NextElementLength(right);
            var width = ColumnsOf(text.AsSpan(right, length));
            if (total + width >= columns) break;
            total += width;
            right += length;
        }
        return (text[left..right], used);
    }

    /// <summary>Terminal columns <paramref name="text"/> takes: wide East Asian characters and most emoji take two, combining marks none.</summary>
    public static int ColumnsOf(ReadOnlySpan<char> text)
    {
        var columns = 0;
        for (var i = 0; i < text.Length; i++)
        {
            int codePoint = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                codePoint = char.ConvertToUtf32(text[i], text[++i]);
            columns += ColumnsOf(codePoint);
        }
        return columns;
    }

    private static int ColumnsOf(int codePoint)
    {
        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format)
            return 0;
        return codePoint is (>= 0x1100 and <= 0x115F) or (>= 0x2E80 and <= 0xA4CF) or (>= 0xAC00 and <= 0xD7A3)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0xFE30 and <= 0xFE4F) or (>= 0xFF00 and <= 0xFF60) or (>= 0xFFE0 and <= 0xFFE6)
            or (>= 0x1F300 and <= 0x1FAFF) or (>= 0x20000 and <= 0x3FFFD)
            ? 2
            : 1;
    }

    private KeyOutcome Delete()
    {
        if (_cursor == _text.Length) return KeyOutcome.Ignored;
        _text.Remove(_cursor, NextElementLength(_cursor));
        return KeyOutcome.Edited;
    }

    private KeyOutcome Move(int to)
    {
        if (to == _cursor) return KeyOutcome.Ignored;
        _cursor = to;
        return KeyOutcome.Edited;
    }

    private KeyOutcome Recall(int index)
    {
        if (index < 0 || index > _history.Count || index == _historyIndex) return KeyOutcome.Ignored;
        if (_historyIndex == _history.Count) _draft = Text; // what was being typed comes back after the newest entry
        _historyIndex = index;
        _text.Clear().Append(index == _history.Count ? _draft : _history[index]);
        _cursor = _text.Length;
        return KeyOutcome.Edited;
    }

    /// <summary>Completes a command name at the start of the line: to the one match, or to what all matches share (listing them).</summary>
    private KeyOutcome Complete()
    {
        var text = Text;
        if (!text.StartsWith('/') || text.Contains(' ', StringComparison.Ordinal) || _cursor != text.Length)
            return KeyOutcome.Ignored;
        var matches = _completions().Where(c => c.StartsWith(text, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
        if (matches.Count == 0) return KeyOutcome.Ignored;
        var completed = matches.Count == 1 ? matches[0] + " " : CommonPrefix(matches);
        if (matches.Count > 1) Candidates = matches;
        _text.Clear().Append(completed.Length > text.Length ? completed : text);
        _cursor = _text.Length;
        return KeyOutcome.Edited;
    }

    private static string CommonPrefix(List<string> words)
    {
        var prefix = words[0];
        foreach (var word in words)
        {
            var length = 0;
            while (length < prefix.Length && length < word.Length && char.ToLowerInvariant(prefix[length]) == char.ToLowerInvariant(word[length])) length++;
            prefix = prefix[..length];
        }
        return prefix;
    }

    private int NextElementLength(int index) => Math.Max(1, StringInfo.GetNextTextElementLength(Text, index));

    private int PreviousElementLength(int index)
    {
        // The last text element that ends at index: grapheme clusters (an emoji, a letter with its accents) move as one.
        var text = Text;
        var start = 0;
        var length = 1;
        while (start < index)
        {
            length = Math.Max(1, StringInfo.GetNextTextElementLength(text, start));
            if (start + length >= index) return index - start;
            start += length;
        }
        return length;
    }
}

/// <summary>What a key did to an <see cref="InputLine"/>.</summary>
internal enum KeyOutcome
{
    Ignored,
    Edited,
    Submitted,
    EndOfInput,
}
