using SecretChat.App.Tests.Fakes;
using SecretChat.Cli.Interaction;
using Spectre.Console;

namespace SecretChat.App.Tests.Interaction;

public class TerminalTextTests
{
    public static TheoryData<string> Attacks => [.. TerminalAssert.Attacks];

    [Theory]
    [InlineData("\u001b[2J", "\\x1b[2J")]
    [InlineData("\u001b]0;title\u0007", "\\x1b]0;title\\x07")]
    [InlineData("\u001b]52;c;Y2xpcA==\u0007", "\\x1b]52;c;Y2xpcA==\\x07")]
    [InlineData("abc\b\bX", "abc\\x08\\x08X")]
    [InlineData("over\rwritten", "over\\rwritten")]
    [InlineData("one\ntwo", "one\\ntwo")]
    [InlineData("tab\there", "tab\\there")]
    [InlineData("\u202Eevil", "\\u202eevil")]
    [InlineData("\u2066\u2069\u200E\u200F\u061C", "\\u2066\\u2069\\u200e\\u200f\\u061c")]
    [InlineData("del\u007f c1\u009b nel\u0085", "del\\x7f c1\\x9b nel\\x85")]
    [InlineData("line\u2028para\u2029", "line\\u2028para\\u2029")]
    [InlineData("nul\0", "nul\\x00")]
    public void Escape_AttackString_ShowsEachControlAsAVisibleEscape(string text, string shown)
    {
        Assert.Equal(shown, TerminalText.Escape(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello bob")]
    [InlineData("ünïcødé ✓ 😀 日本語 עברית")]
    [InlineData(@"C:\path\x1b is already text")]
    [InlineData("[red]not markup[/]")]
    public void Escape_Text_IsShownAsItIs(string text)
    {
        Assert.Equal(text, TerminalText.Escape(text));
    }

    [Fact]
    public void Escape_EveryC0C1DelAndBidiControl_IsEscaped()
    {
        int[] bidi = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069];
        var controls = Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Concat(bidi);
        foreach (var code in controls)
        {
            var shown = TerminalText.Escape($"a{(char)code}b");
            Assert.True(shown.StartsWith("a\\", StringComparison.Ordinal) && shown.EndsWith('b') && shown.Length > 3, $"U+{code:X4} was shown as {shown}");
            Assert.DoesNotContain((char)code, shown);
        }
    }

    [Fact]
    public void Escape_LoneSurrogate_IsEscaped()
    {
        Assert.Equal("a\\ud800b", TerminalText.Escape("a\ud800b"));
        Assert.Equal("\\udc00", TerminalText.Escape("\udc00"));
    }

    [Fact]
    public void Escape_Null_IsEmpty()
    {
        Assert.Equal("", TerminalText.Escape(null));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TerminalLine_AttackInAnyValue_ShowsNothingRaw(string attack)
    {
        TerminalLine line = $"connected to {attack} ({attack})";
        TerminalLine message = $"{attack}: {TerminalText.Body(attack)}";

        TerminalAssert.Safe(line.ToString(), "a status line");
        TerminalAssert.Safe(message.ToString(), "a message line");
    }

    [Fact]
    public void Body_LineBreaks_AreContinuationLinesThatCannotPassForAStatusLine()
    {
        TerminalLine line = $"mallory: {TerminalText.Body("hi\nconnected to bob (noise, safety number 1)\r\nthird\rline")}";

        Assert.Equal(
            "mallory: hi\n  | connected to bob (noise, safety number 1)\n  | third\\rline",
            line.ToString());
        Assert.Equal("  | ", TerminalText.ContinuationPrefix);
    }

    [Fact]
    public void Block_ExceptionText_KeepsItsLinesAsContinuationLines()
    {
        Assert.Equal("boom \\x1b[2J\n  |    at Somewhere()", TerminalText.Block("boom \u001b[2J\n   at Somewhere()"));
    }

    [Fact]
    public void TerminalLine_FormatSpecifier_IsApplied()
    {
        TerminalLine line = $"at {new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc):HH:mm} and {42:D4}";

        Assert.Equal("at 03:04 and 0042", line.ToString());
    }

    [Fact]
    public void TerminalMarkup_ValueWithMarkupAndControls_IsShownOnceAsText()
    {
        var console = new FakeConsole("", isInputRedirected: false);
        var value = "[red]x[/] \u001b[2J [[";

        console.Ansi.Show($"[bold]{value}[/] {TerminalText.Body("a]\nb[")}");

        Assert.Equal("[red]x[/] \\x1b[2J [[ a]\n  | b[\n", console.OutText);
    }

    [Fact]
    public void ToMarkup_Text_ShowsAsItIs()
    {
        var console = new FakeConsole("", isInputRedirected: false);

        console.Ansi.MarkupLine(TerminalText.ToMarkup("[link]\u0007"));

        Assert.Equal("[link]\\x07\n", console.OutText);
    }
}
