using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Cli;
using SecretChat.App.Tests.Fakes;

namespace SecretChat.App.Tests.Cli;

public class ErrorTests
{
    [Theory]
    [InlineData("connect --tcp 127.0.0.1:5000")]
    [InlineData("connect --tcp 127.0.0.1:5000 --json")]
    public async Task Connect_WhenTheConnectorFails_PrintsItsSentenceAndExitsOne(string commandLine)
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("Could not reach 127.0.0.1:5000: the connection was refused.");

        Assert.Equal(1, await app.RunAsync(commandLine));

        Assert.Equal("Could not reach 127.0.0.1:5000: the connection was refused.", app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task Connect_WhenTheConnectorFailsWithJson_AlsoReportsAnErrorEvent()
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The peer's key has changed.");

        Assert.Equal(1, await app.RunAsync("connect --tcp 127.0.0.1:5000 --json"));

        var error = Assert.Single(app.Console.OutLines.Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement),
            e => e.GetProperty("event").GetString() == "error");
        Assert.Equal("The peer's key has changed.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Command_WhenSomethingUnexpectedFails_SaysUnexpectedErrorWithoutAStackTrace()
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new InvalidCastException("boom");

        Assert.Equal(1, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        Assert.Equal("secretchat: unexpected error: boom", app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task Command_WithDebugSet_AlsoPrintsTheStackTrace()
    {
        using var app = new TestApp();
        app.Environment[CliApp.DebugVariable] = "1";
        app.Fake.OnConnect = (_, _, _) => throw new InvalidCastException("boom");

        Assert.Equal(1, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        Assert.StartsWith("secretchat: unexpected error: boom", app.Console.ErrorText);
        Assert.Contains("InvalidCastException", app.Console.ErrorText);
    }

    [Fact]
    public async Task Connect_WhenInterruptedWhileConnecting_ExitsWith130Quietly()
    {
        using var app = new TestApp();
        using var interrupt = new CancellationTokenSource();
        var connecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Fake.OnConnect = async (_, _, ct) =>
        {
            connecting.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };

        var run = app.StartAsync("connect --tcp 127.0.0.1:5000", interrupt.Token);
        await connecting.Task.WaitAsync(TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(130, await run.WaitAsync(TestApp.Timeout));
        Assert.DoesNotContain("Exception", app.Console.ErrorText);
    }

    [Fact]
    public async Task ScriptedConnect_WhenInterruptedDuringTheSession_ClosesTheChatAndExitsWith130()
    {
        var input = new LineFeed();
        using var app = new TestApp(new FakeConsole(input, isInputRedirected: true));
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        app.Fake.OnConnect = (_, _, _) => Task.FromResult<IChat>(chat);
        using var interrupt = new CancellationTokenSource();

        var run = app.StartAsync("connect --tcp 127.0.0.1:5000", interrupt.Token);
        input.Type("one");
        await chat.Events.OfType<Delivered>().FirstAsync().ToTask().WaitAsync(TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(130, await run.WaitAsync(TestApp.Timeout));
        Assert.Equal("interrupted", chat.ClosedWith);
        Assert.True(chat.Disposed);
    }
}
