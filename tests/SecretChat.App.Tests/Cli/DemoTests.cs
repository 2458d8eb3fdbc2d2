using SecretChat.Chat;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Cli;

public class DemoTests
{
    [Fact]
    public async Task Demo_RunsTheExchangeThroughTheConnector_AndExitsZero()
    {
        using var app = new TestApp(connector: new LoopbackConnector());

        Assert.Equal(0, await app.RunAsync("demo"));

        var output = app.Console.OutText;
        Assert.Contains("alice listens on 127.0.0.1:50124", output);
        Assert.Contains("bob → alice: hi alice, can you read this?", output);
        Assert.Contains("alice → bob: loud and clear, bob 👋", output);
        Assert.Contains("Safety number", output);
        Assert.Contains("acknowledged message", output);
        Assert.Contains("Done: every message arrived", output);
        Assert.DoesNotContain("NOT ENCRYPTED", output);
        Assert.Equal("", app.Console.ErrorText);
    }

    [Fact]
    public async Task Demo_WithPseudo_SaysItIsNotEncrypted()
    {
        using var app = new TestApp(connector: new LoopbackConnector());

        Assert.Equal(0, await app.RunAsync("demo --encryption pseudo"));

        Assert.Contains("NOT ENCRYPTED", app.Console.OutText);
    }

    [Fact]
    public async Task Demo_WithAMode_UsesThrowawayIdentitiesAndThatMode()
    {
        var recording = new RecordingConnector(new LoopbackConnector());

        using var demo = new TestApp(connector: recording);
        Assert.Equal(0, await demo.RunAsync("demo -e rsa"));

        Assert.All(recording.Options, o => Assert.Equal(BuiltInModules.Rsa, o.Encryption));
        Assert.Equal(["alice", "bob"], recording.Options.Select(o => o.Name));
        Assert.All(recording.Options, o => Assert.Contains("secretchat-demo-", o.IdentityPath));
        Assert.All(recording.Options, o => Assert.False(Directory.Exists(Path.GetDirectoryName(o.IdentityPath))));
    }

    [Fact]
    public async Task Demo_WhenConnectingFails_ReportsItAndExitsOne()
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The handshake with 127.0.0.1:50123 failed.");

        Assert.Equal(1, await app.RunAsync("demo"));

        Assert.Equal("The handshake with 127.0.0.1:50123 failed.", app.Console.ErrorText.Trim());
    }

    private sealed class RecordingConnector(IChatConnector inner) : IChatConnector
    {
        public List<ChatOptions> Options { get; } = [];

        public Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            Options.Add(options);
            return inner.ConnectAsync(options, progress, cancellationToken);
        }

        public Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
        {
            Options.Add(options);
            return inner.ListenAsync(options, cancellationToken);
        }
    }
}
