using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Security;

namespace SecretChat.App.Tests.Interaction;

/// <summary>The interactive console on a terminal with cursor control (<see cref="FakeTerminal"/>): what a person sees and what is sent.</summary>
public class ChatScreenTests
{
    private static (InteractiveConsole Console, FakeTerminal Terminal) Create()
    {
        var terminal = new FakeTerminal();
        return (new InteractiveConsole(terminal.Ansi, new ConsoleLines(terminal.In), keys: terminal.Keys), terminal);
    }

    private static bool PromptShows(FakeTerminal t, string typed) => t.CursorRow == "> " + typed || t.CursorRow == ">" + typed && typed.Length == 0;

    [Fact]
    public async Task IncomingMessage_WhileTyping_IsPrintedAboveThePromptWhichIsRedrawnWithTheHalfTypedLine()
    {
        var (console, terminal) = Create();
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");

        terminal.Type("I am typing a half-writ");
        await terminal.WaitForAsync(t => PromptShows(t, "I am typing a half-writ"), "the half-typed line");
        chat.Emit(new MessageReceived("bob", new PeerMessageId(1), DateTimeOffset.UtcNow, "incoming while you type"));
        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("bob: incoming while you type", StringComparison.Ordinal)), "bob's message");

        await terminal.WaitForAsync(t => PromptShows(t, "I am typing a half-writ"), "the half-typed line redrawn below");
        Assert.Equal("> I am typing a half-writ".Length, terminal.CursorColumn);
        Assert.DoesNotContain(terminal.Rows, r => r.Contains("half-writ", StringComparison.Ordinal) && r.Contains("incoming", StringComparison.Ordinal));
        var messageRow = terminal.Rows.ToList().FindIndex(r => r.EndsWith("bob: incoming while you type", StringComparison.Ordinal));
        Assert.True(messageRow < terminal.Rows.Count - 1);

        terminal.Type("ten");
        terminal.Enter();
        await terminal.WaitForAsync(_ => chat.Sent.Count == 1, "the line sent");
        Assert.Equal(["I am typing a half-written"], chat.Sent);
        terminal.Type("/quit");
        terminal.Enter();
        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task OwnMessage_Acknowledged_IsShownWithYouAndATickInPlace()
    {
        var (console, terminal) = Create();
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");

        terminal.Type("hello bob");
        terminal.Enter();

        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("you: hello bob ✓", StringComparison.Ordinal)), "your message with a tick");
        await terminal.WaitForAsync(t => PromptShows(t, ""), "the prompt again, empty");
        Assert.Single(terminal.Rows, r => r.Contains("hello bob", StringComparison.Ordinal));
        Assert.Matches(@"^\d\d:\d\d you: hello bob ✓$", terminal.Rows.Single(r => r.Contains("hello bob", StringComparison.Ordinal)));
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task OwnMessage_AcknowledgedAfterOtherOutput_IsTickedInPlaceAboveIt()
    {
        var (console, terminal) = Create();
        var chat = new FakeChat(FakeChat.ConnectedEvent()) { Acknowledge = false };
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");
        terminal.Type("first");
        terminal.Enter();
        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("you: first", StringComparison.Ordinal)), "your message, not yet acknowledged");
        terminal.Type("draft");

        chat.Emit(new MessageReceived("bob", new PeerMessageId(1), DateTimeOffset.UtcNow, "meanwhile"));
        chat.Deliver(new LocalMessageId(1));

        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("you: first ✓", StringComparison.Ordinal)), "the tick in place");
        await terminal.WaitForAsync(t => PromptShows(t, "draft"), "the prompt with the draft, below");
        var rows = terminal.Rows.ToList();
        Assert.Equal(rows.FindIndex(r => r.EndsWith("you: first ✓", StringComparison.Ordinal)) + 1, rows.FindIndex(r => r.EndsWith("bob: meanwhile", StringComparison.Ordinal)));
        Assert.Equal(rows.Count - 1, rows.FindIndex(r => r.EndsWith("bob: meanwhile", StringComparison.Ordinal)) + 1);
        terminal.Press(ConsoleKey.U, control: true);
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task OwnMessage_AcknowledgedAfterItScrolledAway_GetsADeliveryLine()
    {
        var terminal = new FakeTerminal(height: 6);
        var console = new InteractiveConsole(terminal.Ansi, new ConsoleLines(terminal.In), keys: terminal.Keys);
        var chat = new FakeChat(FakeChat.ConnectedEvent()) { Acknowledge = false };
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");
        terminal.Type("first");
        terminal.Enter();
        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("you: first", StringComparison.Ordinal)), "your message");

        for (var i = 1; i <= 6; i++)
            chat.Emit(new MessageReceived("bob", new PeerMessageId((ulong)i), DateTimeOffset.UtcNow, $"line {i}"));
        chat.Deliver(new LocalMessageId(1));

        await terminal.WaitForAsync(t => t.Rows.Any(r => r.Trim() == "✓ delivered: first"), "a delivery line");
        Assert.Contains(terminal.Rows, r => r.EndsWith("you: first", StringComparison.Ordinal)); // not rewritten off the screen
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task OwnMessage_SessionEndsFirst_IsMarkedWithACrossAndTheReason()
    {
        var (console, terminal) = Create();
        var chat = new FakeChat(FakeChat.ConnectedEvent()) { Acknowledge = false };
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");
        terminal.Type("are you there");
        terminal.Enter();
        await terminal.WaitForAsync(t => t.Rows.Any(r => r.EndsWith("you: are you there", StringComparison.Ordinal)), "your message");

        chat.End("the peer closed the connection", clean: false);

        await session.WaitAsync(TestApp.Timeout);
        Assert.Contains(terminal.Rows, r => r.EndsWith("you: are you there ✗", StringComparison.Ordinal));
        Assert.Contains(terminal.Rows, r => r.Trim() == "not delivered: the peer closed the connection");
    }

    [Fact]
    public async Task TypeAhead_BeforeThePeerIsShown_IsNeverSentAndTheUserIsTold()
    {
        var (console, terminal) = Create();
        terminal.Type("secret for alice");
        terminal.Enter();
        terminal.Type("half");
        var chat = new FakeChat(FakeChat.ConnectedEvent());

        var session = console.RunSessionAsync(chat, CancellationToken.None);

        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");
        Assert.Contains(terminal.Rows, r => r == "What you typed before bob was shown was not sent.");
        terminal.Type("typed after");
        terminal.Enter();
        await terminal.WaitForAsync(_ => chat.Sent.Count == 1, "the line typed after");
        Assert.Equal(["typed after"], chat.Sent);
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
        Assert.DoesNotContain(terminal.Rows, r => r.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TypeAhead_InLineMode_ALineTypedWhileWaitingIsNotSent()
    {
        var input = new LineFeed();
        var io = new FakeConsole(input, isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In));
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var waiting = new TaskCompletionSource<IChat>();

        input.Type("typed while waiting"); // in the terminal's buffer when the wait starts reading
        var accepted = console.WithSpinnerAsync("Waiting for a peer…", _ => waiting.Task);
        waiting.SetResult(chat);
        var session = console.RunSessionAsync(await accepted.WaitAsync(TestApp.Timeout), CancellationToken.None);
        await io.WaitForOutputAsync("Type a message", TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.Empty(chat.Sent);
    }

    [Theory]
    [InlineData("pseudo", " NOT ENCRYPTED  > ", "anyone on the path can read and change these messages")]
    [InlineData("rsa", " NOT AUTHENTICATED  > ", "an active man in the middle can read and change this session")]
    public async Task Prompt_InAWeakMode_CarriesTheBadgeAndTheBannerTheReason(string mode, string prompt, string reason)
    {
        Assert.True(BuiltInModules.TryFind(mode, out var module));
        var terminal = new FakeTerminal(width: 240);
        var console = new InteractiveConsole(terminal.Ansi, new ConsoleLines(terminal.In), keys: terminal.Keys);
        var session = console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent(module)), CancellationToken.None);

        await terminal.WaitForAsync(t => t.CursorRow == prompt.TrimEnd() || t.CursorRow + " " == prompt, $"the prompt '{prompt}'");
        Assert.Contains(terminal.Rows, r => r.Contains(reason, StringComparison.Ordinal));
        Assert.Contains(terminal.Rows, r => r.Contains("connected to bob", StringComparison.Ordinal) && r.Contains(mode == "pseudo" ? "NOT ENCRYPTED" : "NOT AUTHENTICATED", StringComparison.Ordinal));

        terminal.Type("hi");
        await terminal.WaitForAsync(t => t.CursorRow == prompt + "hi", "the typed text after the badge");
        terminal.Press(ConsoleKey.U, control: true);
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task Prompt_InNoise_IsPlainAndTheBannerSaysWhetherTheSafetyNumberIsVerified()
    {
        var (console, terminal) = Create();
        var session = console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent() with { Contact = ContactStatus.Verified }), CancellationToken.None);

        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");
        Assert.Contains(terminal.Rows, r => r == "Safety number: 12345 67890 13579 24680 (verified)");
        Assert.DoesNotContain(terminal.Rows, r => r.Contains("NOT ", StringComparison.Ordinal));
        terminal.Type("/quit");
        terminal.Enter();
        await session.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task Tab_OnAPartialCommand_CompletesItAndEnterRunsIt()
    {
        var (console, terminal) = Create();
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await terminal.WaitForAsync(t => PromptShows(t, ""), "an empty prompt");

        terminal.Type("/fin");
        terminal.Press(ConsoleKey.Tab);
        await terminal.WaitForAsync(t => PromptShows(t, "/fingerprint"), "the completed command");
        terminal.Enter();

        await terminal.WaitForAsync(t => t.Rows.Any(r => r.StartsWith("Safety number with bob:", StringComparison.Ordinal)), "the command's output");
        terminal.Type("/quit");
        terminal.Enter();
        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.Empty(chat.Sent);
    }
}
