using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Interaction;

public class InteractiveConsoleTests
{
    private static SecurityModuleInfo BuiltInModuleNamed(string id) =>
        BuiltInModules.TryFind(id, out var module) ? module : throw new ArgumentException($"No built-in module '{id}'.", nameof(id));

    private static (InteractiveConsole Console, FakeConsole Io) Create(string input)
    {
        var io = new FakeConsole(input, isInputRedirected: false);
        return (new InteractiveConsole(io.Ansi, new ConsoleLines(io.In)), io);
    }

    [Fact]
    public async Task Run_WithPseudo_ShowsALoudNotEncryptedWarning()
    {
        var (console, io) = Create("/quit\n");
        var chat = new FakeChat(FakeChat.ConnectedEvent(BuiltInModules.Pseudo));

        Assert.Equal(0, await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout));

        Assert.Contains(" NOT ENCRYPTED ", io.OutText);
        Assert.Contains("pseudo:", io.OutText);
    }

    [Theory]
    [InlineData("noise", "Noise XX")]
    [InlineData("rsa", "RSA-OAEP")]
    public async Task Run_WithAnEncryptedMode_SummarisesWhatItProtects(string modeId, string summary)
    {
        var mode = BuiltInModuleNamed(modeId);
        var (console, io) = Create("/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent(mode)), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains(summary, io.OutText);
        Assert.DoesNotContain("NOT ENCRYPTED", io.OutText);
    }

    [Fact]
    public async Task Run_NoiseSession_BannerAndPathNameTheNegotiatedProtocol()
    {
        var (console, io) = Create("/path\n/quit\n");
        var chat = new FakeChat(FakeChat.ConnectedEvent() with { Cipher = "Noise_XX_25519_AESGCM_SHA256" });

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);

        // Once in the banner, once for /path.
        var shown = io.OutText.Split("protocol: Noise_XX_25519_AESGCM_SHA256").Length - 1;
        Assert.Equal(2, shown);
    }

    [Fact]
    public async Task Run_SessionThatDoesNotNameItsProtocol_ShowsNoProtocolLine()
    {
        var (console, io) = Create("/path\n/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent()), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.DoesNotContain("protocol:", io.OutText);
    }

    [Fact]
    public async Task Quit_DuringASession_ClosesItAndExitsZero()
    {
        var (console, _) = Create("hello\n/quit\nnever sent\n");
        var chat = new FakeChat(FakeChat.ConnectedEvent());

        Assert.Equal(0, await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout));

        Assert.Equal(["hello"], chat.Sent);
        Assert.Equal("closed by the user", chat.ClosedWith);
    }

    [Fact]
    public async Task Fingerprint_InNoiseMode_ShowsTheSafetyNumber()
    {
        var (console, io) = Create("/fingerprint\n/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent(BuiltInModules.Noise)), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("Safety number with bob: 12345 67890 13579 24680", io.OutText);
    }

    [Fact]
    public async Task Banner_NewContact_SaysNotVerifiedAndHowToVerify()
    {
        var (console, io) = Create("/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent() with { Contact = ContactStatus.New }), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("NEW contact, not verified: compare the safety number, then /verify", io.OutText);
    }

    [Fact]
    public async Task Banner_VerifiedContact_NoWarning()
    {
        var (console, io) = Create("/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent() with { Contact = ContactStatus.Verified }), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.DoesNotContain("not verified", io.OutText);
    }

    [Fact]
    public async Task Fingerprint_InAModeWithoutOne_SaysSo()
    {
        var (console, io) = Create("/fingerprint\n/quit\n");

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent(BuiltInModules.Rsa)), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("The rsa mode has no safety number", io.OutText);
    }

    [Fact]
    public async Task Help_ListsTheCommands_AndUnknownCommandsAreNotSent()
    {
        var (console, io) = Create("/help\n/frobnicate\n//slash text\n/quit\n");
        var chat = new FakeChat(FakeChat.ConnectedEvent());

        await console.RunSessionAsync(chat, CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("/fingerprint", io.OutText);
        Assert.Contains("/quit", io.OutText);
        Assert.Contains("Unknown command /frobnicate", io.OutText);
        Assert.Equal(["/slash text"], chat.Sent);
    }

    [Fact]
    public async Task Commands_AddedByTheApp_RunLikeTheBuiltInOnes()
    {
        var io = new FakeConsole("/transport\n/path\n/quit\n", isInputRedirected: false);
        var commands = ConsoleCommands.CreateDefault()
            .Add(new ConsoleCommand("transport", "", "Show the transport.", (context, _) =>
            {
                context.MarkupLine($"transport: {(context.Connected is { } connected ? PathText.Name(connected.Transport) : "none")}");
                return Task.FromResult(CommandOutcome.Continue);
            }));
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In), commands);

        await console.RunSessionAsync(new FakeChat(FakeChat.ConnectedEvent()), CancellationToken.None).WaitAsync(TestApp.Timeout);

        Assert.Contains("transport: tcp", io.OutText);
        Assert.Contains("No path information for this session.", io.OutText); // the built-in /path, for a chat with no IChat.ReportPath
        Assert.Throws<ArgumentException>(() => commands.Add(new ConsoleCommand("quit", "", "again", (_, _) => Task.FromResult(CommandOutcome.Continue))));
    }

    [Fact]
    public async Task Run_ShowsMessagesAsTheyArrive_AndExitsWithHowTheSessionEnded()
    {
        var input = new LineFeed();
        var io = new FakeConsole(input, isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(input));
        var chat = new FakeChat(FakeChat.ConnectedEvent());

        var run = console.RunSessionAsync(chat, CancellationToken.None);
        chat.Emit(new MessageReceived("bob", new PeerMessageId(1), DateTimeOffset.UtcNow, "are you there? [yes]"));
        chat.End("The peer stopped answering.", clean: false);

        Assert.Equal(1, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains("bob: are you there? [yes]", io.OutText);
        Assert.Contains("Disconnected: The peer stopped answering.", io.OutText);
    }

    [Fact]
    public async Task Run_WhenInterrupted_ClosesTheChatAndReturns130()
    {
        var input = new LineFeed();
        var io = new FakeConsole(input, isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(input));
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        using var interrupt = new CancellationTokenSource();

        var run = console.RunSessionAsync(chat, interrupt.Token);
        input.Type("hi");
        await chat.Events.OfType<Delivered>().FirstAsync().ToTask().WaitAsync(TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(130, await run.WaitAsync(TestApp.Timeout));
        Assert.Equal("interrupted", chat.ClosedWith);
    }

    [Fact]
    public async Task Connect_Interactive_ShowsProgressAndRunsTheSession()
    {
        using var app = new TestApp(new FakeConsole("/fingerprint\n/quit\n", isInputRedirected: false));
        app.Fake.OnConnect = (_, progress, _) =>
        {
            progress?.Report("handshaking (noise)");
            return Task.FromResult<IChat>(new FakeChat(FakeChat.ConnectedEvent()));
        };

        Assert.Equal(0, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        Assert.Contains("connected to bob", app.Console.OutText);
        Assert.Contains("12345 67890 13579 24680", app.Console.OutText);
    }
}
