using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.App.Tests.Interaction;

/// <summary><c>/verify</c> asks before it marks, and says why where it cannot; <c>/fingerprint</c> says what the number's state is.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private static readonly byte[] BobKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private readonly string _directory = Directory.CreateTempSubdirectory("secretchat-verify-").FullName;

    private string PinsPath => Path.Combine(_directory, KnownPeers.FileName);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(FakeConsole Io, LineFeed Input, Task<int> Session)> StartAsync(Connected connected)
    {
        var input = new LineFeed();
        var io = new FakeConsole(input, isInputRedirected: false);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In), ConsoleCommands.CreateDefault().AddVerify(PinsPath));
        var session = console.RunSessionAsync(new FakeChat(connected), CancellationToken.None);
        await io.WaitForOutputAsync("Type a message", TestApp.Timeout);
        return (io, input, session);
    }

    private Connected NewContactBob()
    {
        KnownPeers.Load(PinsPath).Pin("bob", BobKey);
        return FakeChat.ConnectedEvent() with { Contact = ContactStatus.New, PeerKey = BobKey };
    }

    [Fact]
    public async Task Verify_AnsweredYes_ShowsTheNumberAsksAndThenMarksThePeer()
    {
        var (io, input, session) = await StartAsync(NewContactBob());

        input.Type("/verify");
        await io.WaitForOutputAsync("see the same number?", TestApp.Timeout);
        Assert.Contains("Safety number with bob: 12345 67890 13579 24680", io.OutText);
        Assert.False(KnownPeers.Load(PinsPath).Check("bob", BobKey).IsVerified); // nothing marked before the answer
        input.Type("yes");
        await io.WaitForOutputAsync("bob is now marked as verified", TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.True(KnownPeers.Load(PinsPath).Check("bob", BobKey).IsVerified);
    }

    [Fact]
    public async Task Verify_AnsweredAnythingElse_MarksNothingAndSendsNothing()
    {
        var connected = NewContactBob();
        var input = new LineFeed();
        var io = new FakeConsole(input, isInputRedirected: false);
        var chat = new FakeChat(connected);
        var console = new InteractiveConsole(io.Ansi, new ConsoleLines(io.In), ConsoleCommands.CreateDefault().AddVerify(PinsPath));
        var session = console.RunSessionAsync(chat, CancellationToken.None);
        await io.WaitForOutputAsync("Type a message", TestApp.Timeout);

        input.Type("/verify");
        await io.WaitForOutputAsync("see the same number?", TestApp.Timeout);
        input.Type("it differs");
        await io.WaitForOutputAsync("Not marked: bob stays new contact, not verified.", TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.False(KnownPeers.Load(PinsPath).Check("bob", BobKey).IsVerified);
        Assert.Empty(chat.Sent); // the answer is not a message
    }

    [Theory]
    [InlineData("rsa", "/verify is not available in rsa mode: nothing in it proves who the peer is")]
    [InlineData("pseudo", "/verify is not available in pseudo mode: it neither encrypts nor authenticates")]
    public async Task Verify_InAModeWithoutASafetyNumber_SaysWhyItIsNotAvailable(string mode, string why)
    {
        Assert.True(BuiltInModules.TryFind(mode, out var module));
        var (io, input, session) = await StartAsync(FakeChat.ConnectedEvent(module));

        input.Type("/verify");
        await io.WaitForOutputAsync(why, TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.DoesNotContain("see the same number", io.OutText);
    }

    [Theory]
    [InlineData(ContactStatus.Verified, "(verified)")]
    [InlineData(ContactStatus.New, "(new contact, not verified)")]
    [InlineData(ContactStatus.Replaced, "(key changed, not verified)")]
    [InlineData(ContactStatus.Known, "(not verified)")]
    public async Task Fingerprint_ShowsWhetherTheNumberIsVerifiedNewOrChanged(ContactStatus contact, string state)
    {
        var (io, input, session) = await StartAsync(FakeChat.ConnectedEvent() with { Contact = contact });

        input.Type("/fingerprint");
        await io.WaitForOutputAsync($"Safety number with bob: 12345 67890 13579 24680 {state}", TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await session.WaitAsync(TestApp.Timeout));
        Assert.Contains($"Safety number: 12345 67890 13579 24680 {state}", io.OutText); // the banner too
    }
}
