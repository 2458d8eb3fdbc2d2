using SecretChat.Cli.Interaction;

namespace SecretChat.App.Tests.Interaction;

public class InputLineTests
{
    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, false, false, control);

    private static void Type(InputLine line, string text)
    {
        foreach (var c in text) line.Apply(new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false), out _);
    }

    private static string? Enter(InputLine line)
    {
        Assert.Equal(KeyOutcome.Submitted, line.Apply(new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false), out var submitted));
        return submitted;
    }

    [Fact]
    public void Editing_LeftRightHomeEndBackspaceDelete_EditWhereTheCursorIs()
    {
        var line = new InputLine();
        Type(line, "hllo wrld");
        line.Apply(Key(ConsoleKey.Home), out _);
        line.Apply(Key(ConsoleKey.RightArrow), out _);
        Type(line, "e");
        line.Apply(Key(ConsoleKey.End), out _);
        line.Apply(Key(ConsoleKey.LeftArrow), out _);
        line.Apply(Key(ConsoleKey.LeftArrow), out _);
        line.Apply(Key(ConsoleKey.LeftArrow), out _);
        Type(line, "o");
        Assert.Equal("hello world", line.Text);

        line.Apply(Key(ConsoleKey.Backspace), out _);
        line.Apply(Key(ConsoleKey.Delete), out _);
        Assert.Equal("hello wld", line.Text);
        Assert.Equal(7, line.Cursor);
        Assert.Equal("hello wld", Enter(line));
        Assert.Equal("", line.Text);
    }

    [Fact]
    public void Editing_AnEmojiOrAnAccentedLetter_MovesAndDeletesAsOneCharacter()
    {
        var line = new InputLine();
        Type(line, "a👋e\u0301");
        line.Apply(Key(ConsoleKey.Backspace), out _);
        Assert.Equal("a👋", line.Text);
        line.Apply(Key(ConsoleKey.LeftArrow), out _);
        Assert.Equal(1, line.Cursor);
        line.Apply(Key(ConsoleKey.Delete), out _);
        Assert.Equal("a", line.Text);
    }

    [Fact]
    public void History_UpAndDown_RecallSubmittedLinesAndComeBackToTheDraft()
    {
        var line = new InputLine();
        Type(line, "one");
        Enter(line);
        Type(line, "two");
        Enter(line);
        Type(line, "dra");

        line.Apply(Key(ConsoleKey.UpArrow), out _);
        Assert.Equal("two", line.Text);
        line.Apply(Key(ConsoleKey.UpArrow), out _);
        Assert.Equal("one", line.Text);
        Assert.Equal(KeyOutcome.Ignored, line.Apply(Key(ConsoleKey.UpArrow), out _));
        line.Apply(Key(ConsoleKey.DownArrow), out _);
        line.Apply(Key(ConsoleKey.DownArrow), out _);
        Assert.Equal("dra", line.Text);
    }

    [Fact]
    public void Tab_CompletesACommandToTheOnlyMatchOrTheSharedPrefixListingTheMatches()
    {
        var line = new InputLine(() => ["/quit", "/trust", "/verify", "/fingerprint"]);
        Type(line, "/q");
        line.Apply(Key(ConsoleKey.Tab), out _);
        Assert.Equal("/quit ", line.Text);

        line.Clear();
        var both = new InputLine(() => ["/trust", "/track"]);
        Type(both, "/t");
        both.Apply(Key(ConsoleKey.Tab), out _);
        Assert.Equal("/tr", both.Text);
        Assert.Equal(new[] { "/track", "/trust" }, both.Candidates);

        var message = new InputLine(() => ["/quit"]);
        Type(message, "hello /q");
        Assert.Equal(KeyOutcome.Ignored, message.Apply(Key(ConsoleKey.Tab), out _));
        Assert.Equal("hello /q", message.Text);
    }

    [Fact]
    public void ControlCharacters_TypedOrPasted_AreNeverInserted()
    {
        var line = new InputLine();
        foreach (var c in "a\u001b[2Jb\u0007\u202ec")
            line.Apply(new ConsoleKeyInfo(c, c == '\u001b' ? ConsoleKey.Escape : ConsoleKey.NoName, false, false, false), out _);

        Assert.Equal("a[2Jbc", line.Text);
    }

    [Fact]
    public void CtrlD_OnAnEmptyLine_IsTheEndOfInput()
    {
        var line = new InputLine();
        Assert.Equal(KeyOutcome.EndOfInput, line.Apply(Key(ConsoleKey.D, control: true), out _));
        Type(line, "x");
        Assert.Equal(KeyOutcome.Ignored, line.Apply(Key(ConsoleKey.D, control: true), out _)); // deletes under the cursor: nothing there
    }

    [Fact]
    public void View_ALineLongerThanTheTerminal_ScrollsSidewaysKeepingTheCursorInView()
    {
        var line = new InputLine();
        Type(line, new string('x', 50) + "END");

        var (visible, cursor) = line.View(20);

        Assert.True(visible.Length < 20);
        Assert.EndsWith("END", visible, StringComparison.Ordinal);
        Assert.Equal(visible.Length, cursor);
    }
}
