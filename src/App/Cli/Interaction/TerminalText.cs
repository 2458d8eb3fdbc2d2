using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// The one way text from outside (a peer's name, message and close reason, a server's error, an exception's message)
/// reaches a terminal. A terminal obeys control characters: ESC starts sequences that clear the screen, set the title or
/// write the clipboard, CR and backspace overwrite what is shown, a newline starts a line that can pass for our own, and
/// bidi controls reorder what follows. Each of them is shown as a visible escape instead (<c>\x1b</c>, <c>\r</c>,
/// <c>\u202e</c>); everything else is shown as it is.
/// </summary>
/// <remarks>
/// The escaping is the terminal's concern, so it lives with the program, not the chat library: the library's events carry
/// the peer's text as sent (the JSON writer escapes it for JSON, a GUI for its own widgets). Writers never print a string
/// themselves: they format a line with <see cref="TerminalLine"/> (plain) or <see cref="TerminalMarkup"/> (Spectre
/// markup), whose every interpolated value passes through <see cref="Escape"/>; only the literal parts, written in this
/// program's source, are printed as they are.
/// </remarks>
internal static class TerminalText
{
    /// <summary>
    /// Starts each continuation line of a multi-line message: indented, with a bar. No status line of the program starts
    /// with a space, so a line a peer wrote can never pass for one (<c>connected to ...</c>, <c>disconnected: ...</c>).
    /// </summary>
    public const string ContinuationPrefix = "  | ";

    /// <summary>
    /// <paramref name="text"/> with every character a terminal would act on made visible: C0 controls, DEL and C1 controls
    /// as <c>\xHH</c> (<c>\n</c>, <c>\r</c>, <c>\t</c> for the common three), bidi controls, line and paragraph separators
    /// and lone surrogates as <c>\uHHHH</c>. The result is one line.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        int first = IndexOfUnsafe(text);
        if (first < 0) return text;
        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        AppendEscaped(builder, text.AsSpan(first));
        return builder.ToString();
    }

    /// <summary><paramref name="text"/> as Spectre.Console markup that shows it as it is, escaped (for a table cell or a status).</summary>
    public static string ToMarkup(string? text) => Markup.Escape(Escape(text));

    /// <summary>
    /// A message body for display: its own line breaks (LF or CRLF) become continuation lines that start with
    /// <see cref="ContinuationPrefix"/>; everything else as <see cref="Escape"/>.
    /// </summary>
    public static MessageBody Body(string? text) => new(text ?? "");

    /// <summary>A block of several lines (an exception's text): each line escaped, each after the first as a continuation line.</summary>
    public static string Block(string? text) => Lines(text ?? "", markup: false);

    /// <summary>True when <paramref name="c"/> is shown escaped.</summary>
    public static bool IsEscaped(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F)
        || c is '\u061C' or '\u200E' or '\u200F' or '\u2028' or '\u2029'
        || (c >= '\u202A' && c <= '\u202E')
        || (c >= '\u2066' && c <= '\u2069');

    internal static string Lines(string text, bool markup)
    {
        var builder = new StringBuilder(text.Length + 16);
        AppendLines(builder, text, markup);
        return builder.ToString();
    }

    internal static void AppendLines(StringBuilder builder, string text, bool markup)
    {
        var rest = text.AsSpan();
        bool firstLine = true;
        while (true)
        {
            int newline = rest.IndexOf('\n');
            var line = newline < 0 ? rest : rest[..newline];
            if (newline >= 0 && line.EndsWith("\r")) line = line[..^1]; // CRLF is one line break
            if (!firstLine) builder.Append('\n').Append(ContinuationPrefix);
            AppendEscaped(builder, line, markup);
            if (newline < 0) return;
            rest = rest[(newline + 1)..];
            firstLine = false;
        }
    }

    internal static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text, bool markup)
    {
        if (!markup)
        {
            AppendEscaped(builder, text);
            return;
        }

        // Controls first, then markup: the escapes hold no brackets, and a bracket in the text is doubled exactly once.
        var escaped = new StringBuilder(text.Length + 16);
        AppendEscaped(escaped, text);
        builder.Append(Markup.Escape(escaped.ToString()));
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            if (char.IsSurrogate(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); // alone, it is not text
                continue;
            }

            if (!IsEscaped(c))
            {
                builder.Append(c);
                continue;
            }

            switch (c)
            {
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case <= '\u00FF': builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"); break;
                default: builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
            }
        }
    }

    private static int IndexOfUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsEscaped(text[i]) || char.IsSurrogate(text[i])) return i;
        }

        return -1;
    }
}

/// <summary>A message body, shown by <see cref="TerminalLine"/> and <see cref="TerminalMarkup"/> with its line breaks as continuation lines.</summary>
internal readonly record struct MessageBody(string Text);

/// <summary>
/// A plain line for a terminal or a log, written as an interpolated string: the literal parts are printed as they are,
/// every value is escaped (<see cref="TerminalText.Escape"/>; a <see cref="MessageBody"/> keeps its line breaks as
/// continuation lines). A plain <see cref="string"/> does not convert to it, so text from outside cannot be printed raw.
/// </summary>
[InterpolatedStringHandler]
internal readonly struct TerminalLine
{
    private readonly StringBuilder _builder;

    public TerminalLine(int literalLength, int formattedCount)
    {
        _builder = new StringBuilder(literalLength + formattedCount * 16);
    }

    public void AppendLiteral(string value) => _builder.Append(value);

    public void AppendFormatted(MessageBody body) => TerminalText.AppendLines(_builder, body.Text, markup: false);

    public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public void AppendFormatted<T>(T value, string? format) =>
        TerminalText.AppendEscaped(_builder, Formatted(value, format), markup: false);

    public override string ToString() => _builder.ToString();

    internal static string Formatted<T>(T value, string? format) => value switch
    {
        null => "",
        IFormattable formattable => formattable.ToString(format, CultureInfo.CurrentCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>
/// A line of Spectre.Console markup, written as an interpolated string: the literal parts are markup (<c>[red]</c>),
/// every value is escaped for the terminal and then for markup, so a value shows as text and never as a style or a
/// control sequence. A plain <see cref="string"/> does not convert to it.
/// </summary>
[InterpolatedStringHandler]
internal readonly struct TerminalMarkup
{
    private readonly StringBuilder _builder;

    public TerminalMarkup(int literalLength, int formattedCount)
    {
        _builder = new StringBuilder(literalLength + formattedCount * 16);
    }

    public void AppendLiteral(string value) => _builder.Append(value);

    public void AppendFormatted(MessageBody body) => TerminalText.AppendLines(_builder, body.Text, markup: true);

    public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public void AppendFormatted<T>(T value, string? format) =>
        TerminalText.AppendEscaped(_builder, TerminalLine.Formatted(value, format), markup: true);

    /// <summary>The markup, for a Spectre renderable that takes markup (a <see cref="Rule"/>'s title).</summary>
    public static string Of(TerminalMarkup markup) => markup.ToString();

    public override string ToString() => _builder.ToString();
}

/// <summary>Writes <see cref="TerminalMarkup"/> lines to a Spectre console.</summary>
internal static class TerminalConsole
{
    /// <summary>One line of markup whose values are shown as text, escaped: <c>console.Show($"[bold]{peer}[/]")</c>.</summary>
    public static void Show(this IAnsiConsole console, TerminalMarkup markup)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.MarkupLine(markup.ToString());
    }
}
