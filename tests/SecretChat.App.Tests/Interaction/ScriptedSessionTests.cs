using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Interaction;

public class ScriptedSessionTests
{
    private static Task<int> Run(FakeChat chat, string input, IEventWriter writer, TextWriter error) =>
        ScriptedSession.RunAsync(chat, new StringReader(input), writer, error, CancellationToken.None).WaitAsync(TestApp.Timeout);

    [Fact]
    public async Task Run_SendsEachLineInOrderThenFinishes_AndExitsZero()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await Run(chat, "one\ntwo, with \"quotes\"\n\nthree 👋\n", new JsonEventWriter(output), error);

        Assert.Equal(0, code);
        Assert.Equal(["one", "two, with \"quotes\"", "", "three 👋"], chat.Sent);
        Assert.Equal(1, chat.FinishCalls);
        Assert.Equal("", error.ToString());
        var events = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("event").GetString()!).ToArray();
        Assert.Equal(["connected", "sent", "delivered", "sent", "delivered", "sent", "delivered", "sent", "delivered", "state", "disconnected"], events);
    }

    [Fact]
    public async Task Run_WhenNotEverythingWasAcknowledged_ExitsOneWithASentence()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent()) { FinishResult = false, Acknowledge = false };
        var error = new StringWriter();

        var code = await Run(chat, "hello\n", new PlainEventWriter(new StringWriter(), error), error);

        Assert.Equal(1, code);
        Assert.Equal("The peer did not acknowledge every message.", error.ToString().Trim());
    }

    [Fact]
    public async Task Run_WhenThePeerDropsBeforeInputEnds_ExitsOneWithTheReason()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var input = new LineFeed();
        var output = new StringWriter();
        var error = new StringWriter();

        var run = ScriptedSession.RunAsync(chat, input, new PlainEventWriter(output, error), error, CancellationToken.None);
        chat.End("The peer stopped answering.", clean: false);

        Assert.Equal(1, await run.WaitAsync(TestApp.Timeout));
        Assert.Equal(0, chat.FinishCalls);
        Assert.Contains("disconnected: The peer stopped answering.", output.ToString());
        Assert.Equal("The peer stopped answering.", error.ToString().Trim());
    }

    [Fact]
    public async Task Run_WithALineTooLong_ReportsItSendsTheRestAndExitsOne()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await Run(chat, $"a\n{new string('x', 5000)}\nb\n", new JsonEventWriter(output), error);

        Assert.Equal(1, code);
        Assert.Equal(["a", "b"], chat.Sent);
        Assert.Contains("\"event\":\"error\"", output.ToString());
    }

    [Fact]
    public async Task Run_InPlainMode_PrintsTheConversation()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent());
        chat.Emit(new MessageReceived("bob", new PeerMessageId(1), DateTimeOffset.UtcNow, "hi"));
        chat.Emit(new PeerFinished("bob"));
        var output = new StringWriter();

        Assert.Equal(0, await Run(chat, "", new PlainEventWriter(output, new StringWriter()), new StringWriter()));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("connected to bob (noise, safety number 12345 67890 13579 24680)", lines[0]);
        Assert.Equal("bob: hi", lines[1]);
        Assert.Equal("bob has finished sending", lines[2]);
        Assert.StartsWith("disconnected: ", lines[3]);
    }

    [Theory]
    [InlineData(ContactStatus.New, "warning: NEW contact, not verified: compare the safety number, then /verify.")]
    [InlineData(ContactStatus.Known, "warning: contact not verified yet: compare the safety number, then /verify.")]
    [InlineData(ContactStatus.Replaced, "warning: contact's key REPLACED, not verified: compare the safety number, then /verify.")]
    public async Task Run_InPlainModeWithUnverifiedContact_SaysSoEveryTime(ContactStatus status, string warning)
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent() with { Contact = status });
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, await Run(chat, "", new PlainEventWriter(output, error), error));

        Assert.StartsWith("connected to bob (noise, safety number ", output.ToString());
        Assert.Contains(warning, error.ToString());
    }

    [Fact]
    public async Task Run_InPlainModeWithVerifiedContact_NoWarning()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent() with { Contact = ContactStatus.Verified });
        var error = new StringWriter();

        Assert.Equal(0, await Run(chat, "", new PlainEventWriter(new StringWriter(), error), error));

        Assert.DoesNotContain("verified", error.ToString());
    }

    [Fact]
    public async Task Run_InPlainModeWithPseudo_SaysNotEncrypted()
    {
        var chat = new FakeChat(FakeChat.ConnectedEvent(BuiltInModules.Pseudo));
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, await Run(chat, "", new PlainEventWriter(output, error), error));

        Assert.Contains("connected to bob (pseudo, NOT ENCRYPTED)", output.ToString());
        Assert.Contains("NOT ENCRYPTED", error.ToString());
    }
}
