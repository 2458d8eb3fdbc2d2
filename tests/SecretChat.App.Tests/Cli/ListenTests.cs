using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.App.Tests.Fakes;

namespace SecretChat.App.Tests.Cli;

public class ListenTests
{
    [Fact]
    public async Task ScriptedListen_ReportsRejectedPeers_AndKeepsWaitingForOne()
    {
        using var app = new TestApp(new FakeConsole("hello\n"));
        var listener = app.Fake.Listener;

        var run = app.StartAsync("listen --tcp 127.0.0.1:0 --json");
        await listener.Accepting.WaitAsync(TestApp.Timeout);
        listener.Reject("A peer at 127.0.0.1:40001 sent something that is not SecretChat.");
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        listener.Admit(chat);

        Assert.Equal(0, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains("A peer at 127.0.0.1:40001 sent something that is not SecretChat.", app.Console.ErrorText);
        Assert.Equal(["hello"], chat.Sent);
        var events = app.Console.OutLines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        Assert.Equal("listening", events[0].GetProperty("event").GetString());
        Assert.Equal("127.0.0.1:50123", events[0].GetProperty("address").GetString());
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "error"
            && e.GetProperty("message").GetString()!.Contains("not SecretChat", StringComparison.Ordinal));
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "connected");
        Assert.Equal("disconnected", events[^1].GetProperty("event").GetString());
        Assert.True(chat.Disposed);
        Assert.True(listener.Disposed);
    }

    [Fact]
    public async Task Listen_Scripted_ServesOneSessionAndExits()
    {
        using var app = new TestApp(new FakeConsole(""));
        var first = new FakeChat(FakeChat.ConnectedEvent());
        app.Fake.Listener.Admit(first);
        app.Fake.Listener.Admit(new FakeChat(FakeChat.ConnectedEvent()));

        Assert.Equal(0, await app.RunAsync("listen --tcp 127.0.0.1:0"));

        Assert.Equal(1, app.Fake.Listener.AcceptCalls);
        Assert.Equal("listening on 127.0.0.1:50123", app.Console.OutLines[0]);
    }

    [Fact]
    public async Task Listen_PlainOutput_ReportsRejectionsOnStderrOnly()
    {
        using var app = new TestApp(new FakeConsole(""));
        var listener = app.Fake.Listener;

        var run = app.StartAsync("listen --tcp 127.0.0.1:0");
        await listener.Accepting.WaitAsync(TestApp.Timeout);
        listener.Reject("The peer asked for rsa but this side uses noise.");
        listener.Admit(new FakeChat(FakeChat.ConnectedEvent()));

        Assert.Equal(0, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains("The peer asked for rsa but this side uses noise.", app.Console.ErrorText);
        Assert.DoesNotContain("rsa but", app.Console.OutText);
    }

    [Fact]
    public async Task Listen_Interactive_ServesSessionsOneAfterAnotherUntilInterrupted()
    {
        var input = new LineFeed();
        using var app = new TestApp(new FakeConsole(input, isInputRedirected: false));
        using var interrupt = new CancellationTokenSource();
        var listener = app.Fake.Listener;
        var first = new FakeChat(FakeChat.ConnectedEvent(peer: "bob"));
        var second = new FakeChat(FakeChat.ConnectedEvent(peer: "carol"));

        var run = app.StartAsync("listen --tcp 127.0.0.1:0", interrupt.Token);
        listener.Admit(first);
        await app.Console.WaitForOutputAsync("connected to bob", TestApp.Timeout); // nothing typed before the peer is shown is sent
        input.Type("hi bob");
        input.Type("/quit");
        await first.Completion.WaitAsync(TestApp.Timeout);
        listener.Admit(second);
        await app.Console.WaitForOutputAsync("connected to carol", TestApp.Timeout);
        input.Type("hi carol");
        await second.Events.OfType<Delivered>().FirstAsync().ToTask().WaitAsync(TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(130, await run.WaitAsync(TestApp.Timeout));
        Assert.Equal(["hi bob"], first.Sent);
        Assert.Equal(["hi carol"], second.Sent);
        Assert.Equal("interrupted", second.ClosedWith);
        Assert.Contains("carol", app.Console.OutText);
    }
}
