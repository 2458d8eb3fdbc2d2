using System.Text.Json;
using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.Security;

namespace SecretChat.App.Tests.Interaction;

/// <summary>
/// Issue 14, attack 2 at the writers: a peer's name, message text and close reason, an error's message, a rejection's
/// reason, all holding terminal controls, reach every output (plain, interactive, <c>--json</c>, stderr) escaped.
/// </summary>
public class HostileTextTests
{
    public static TheoryData<string> Attacks => [.. TerminalAssert.Attacks];

    private static IEnumerable<ChatEvent> EventsCarrying(string attack) =>
    [
        FakeChat.ConnectedEvent(BuiltInModules.Noise, peer: attack),
        new MessageReceived(attack, new PeerMessageId(1), DateTimeOffset.UnixEpoch, attack),
        new PeerFinished(attack),
        new ChatError(attack),
        new Disconnected(UserSentences.PeerClosed(new SecretChat.Framing.CloseBody(SecretChat.Framing.CloseReason.Orderly, attack)), Clean: false),
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public void PlainWriter_AttackInEveryEvent_ReachesStdoutAndStderrEscaped(string attack)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var writer = new PlainEventWriter(output, error);

        foreach (var chatEvent in EventsCarrying(attack))
            writer.Write(chatEvent);
        writer.Error(attack);
        writer.Listening(attack);

        TerminalAssert.Safe(output.ToString(), "stdout");
        TerminalAssert.Safe(error.ToString(), "stderr");
        Assert.Contains(TerminalText.Escape(attack.Split('\n')[0].TrimEnd('\r')), output.ToString());
    }

    [Fact]
    public void PlainWriter_MultiLineMessage_ShowsContinuationLinesUnderTheSender()
    {
        var output = new StringWriter();
        var writer = new PlainEventWriter(output, new StringWriter());

        writer.Write(new MessageReceived("mallory", new PeerMessageId(1), DateTimeOffset.UnixEpoch, "hi\nconnected to bob (noise, safety number 12345)\ndisconnected: fake"));

        Assert.Equal(
            "mallory: hi\n  | connected to bob (noise, safety number 12345)\n  | disconnected: fake\n",
            output.ToString().ReplaceLineEndings("\n"));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task InteractiveConsole_AttackInEveryEvent_IsShownEscaped(string attack)
    {
        var io = new FakeConsole(new LineFeed(), isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In));
        var chat = new FakeChat();
        foreach (var chatEvent in EventsCarrying(attack).SkipLast(1))
            chat.Emit(chatEvent);
        chat.End(((Disconnected)EventsCarrying(attack).Last()).Reason, clean: false);

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);
        console.Error(attack);
        console.Warn(attack);
        console.Info(attack);

        TerminalAssert.Safe(io.OutText, "the interactive console");
        Assert.True(io.OutText.Contains("Disconnected: The peer closed the session", StringComparison.Ordinal), io.OutText);
    }

    [Fact]
    public async Task InteractiveConsole_MarkupInAPeersText_IsShownAsTextNotStyles()
    {
        var io = new FakeConsole(new LineFeed(), isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In));
        var chat = new FakeChat(FakeChat.ConnectedEvent(peer: "[red]bob[/]"));
        chat.Emit(new MessageReceived("[red]bob[/]", new PeerMessageId(1), DateTimeOffset.UnixEpoch, "[link=http://x]click[/] [[\u001b[2J"));
        chat.End("closed [bold]", clean: true);

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("connected to [red]bob[/]", io.OutText);
        Assert.Contains("[red]bob[/]: [link=http://x]click[/] [[\\x1b[2J", io.OutText);
        Assert.Contains("Disconnected: closed [bold]", io.OutText);
    }

    [Fact]
    public async Task InteractiveConsole_MessageThatWrapsAtTheConsoleWidth_KeepsEveryRowIndentedUnderTheText()
    {
        var io = new FakeConsole(new LineFeed(), isInputRedirected: false);
        io.Ansi.Profile.Width = 40;
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In));
        var chat = new FakeChat(FakeChat.ConnectedEvent(peer: "mallory"));
        // Padded so that a plain wrap at 40 columns would start a row with the forged status line.
        chat.Emit(new MessageReceived("mallory", new PeerMessageId(1), DateTimeOffset.UnixEpoch, new string('x', 25) + " connected to bob (noise, safety number 1)\nsecond line"));
        chat.End("done", clean: true);

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);

        TerminalAssert.Safe(io.OutText, "the interactive console");
        var rows = io.OutText.ReplaceLineEndings("\n").Split('\n');
        var first = Array.FindIndex(rows, r => r.Contains("mallory: xxx", StringComparison.Ordinal));
        Assert.True(first >= 0, io.OutText);
        var indent = rows[first].IndexOf("xxx", StringComparison.Ordinal);
        Assert.All(rows[(first + 1)..(first + 4)], row => Assert.True(row.Length > indent && row[..indent].Trim().Length == 0, $"row not indented: '{row}'\n{io.OutText}"));
        Assert.True(rows.Any(r => r.TrimStart().StartsWith("connected to bob", StringComparison.Ordinal)), io.OutText);
        Assert.Contains(rows, r => r.TrimStart().StartsWith("| second line", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FingerprintCommand_PeerNameWithControlsAndMarkup_IsShownEscapedOnce()
    {
        var io = new FakeConsole("/fingerprint\n/quit\n", isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In));
        var chat = new FakeChat(FakeChat.ConnectedEvent(peer: "[b]x\u001b]0;t\u0007"));

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);

        TerminalAssert.Safe(io.OutText, "/fingerprint");
        Assert.Contains("Safety number with [b]x\\x1b]0;t\\x07: 12345 67890 13579 24680", io.OutText);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void JsonWriter_AttackInEveryEvent_NeverWritesAControlCharacterRaw(string attack)
    {
        var output = new StringWriter();
        var writer = new JsonEventWriter(output);

        foreach (var chatEvent in EventsCarrying(attack))
            writer.Write(chatEvent);
        writer.Error(attack);
        writer.Status(attack);

        var text = output.ToString();
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\b', text);
        Assert.DoesNotContain('\u009B', text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, lines.Length); // one line per event: the peer's line breaks stayed inside its strings
        var message = JsonDocument.Parse(lines[1]).RootElement;
        Assert.Equal(attack, message.GetProperty("text").GetString()); // escaped for JSON, not changed
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task ScriptedListen_RejectionAndClosingReasonWithControls_ReachStdoutAndStderrEscaped(string attack)
    {
        using var app = new TestApp(new FakeConsole(""));
        var listener = app.Fake.Listener;
        var run = app.StartAsync("listen --tcp 127.0.0.1:0");
        await listener.Accepting.WaitAsync(TestApp.Timeout);
        listener.Reject(attack);
        var chat = new FakeChat(FakeChat.ConnectedEvent(peer: attack));
        chat.Emit(new MessageReceived(attack, new PeerMessageId(1), DateTimeOffset.UnixEpoch, attack));
        chat.End(UserSentences.PeerClosed(attack), clean: false);
        listener.Admit(chat);

        Assert.Equal(ExitCodes.Failure, await run.WaitAsync(TestApp.Timeout));
        TerminalAssert.Safe(app.Console.OutText, "stdout");
        TerminalAssert.Safe(app.Console.ErrorText, "stderr");
        Assert.Contains("The peer closed the session (", app.Console.ErrorText);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Connect_FailureSentenceWithControls_ReachesStderrEscapedOnOneLine(string attack)
    {
        using var app = new TestApp(new FakeConsole(""));
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException($"The signaling server said: {attack}");
        app.Environment[CliApp.DebugVariable] = "1";

        Assert.Equal(ExitCodes.Failure, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        TerminalAssert.Safe(app.Console.ErrorText, "stderr");
        Assert.StartsWith($"The signaling server said: {TerminalText.Escape(attack)}\nSecretChat.Chat.ChatFailedException: ", app.Console.ErrorText.ReplaceLineEndings("\n"));
        // The debug dump (the exception's type, its message, the stack) keeps its lines, each after its first as a continuation line.
        Assert.All(app.Console.ErrorText.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Skip(2),
            line => Assert.StartsWith(TerminalText.ContinuationPrefix, line));
    }
}
