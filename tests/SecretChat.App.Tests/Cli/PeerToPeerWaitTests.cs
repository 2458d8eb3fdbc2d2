using System.Net;
using System.Text.Json;
using Microsoft.Reactive.Testing;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;
using SecretChat.Signaling;

namespace SecretChat.App.Tests.Cli;

/// <summary>p2p waits a bounded time for the peer, shows that it waits, and says plainly when no server is configured.</summary>
public class PeerToPeerWaitTests
{
    [Fact]
    public async Task P2p_WithoutWait_WaitsTenMinutesForThePeer()
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync("p2p --room blue-otter --signal 127.0.0.1:3478"));

        Assert.Equal(TimeSpan.FromMinutes(10), Assert.Single(app.Fake.Connects).PeerWait);
        Assert.Equal(ChatOptions.DefaultPeerWait, new ChatOptions { EndPoint = "x:1" }.PeerWait);
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1.5h", 5400)]
    public async Task P2p_Wait_SetsHowLongToWaitForThePeer(string wait, double seconds)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync($"p2p --room blue-otter --signal 127.0.0.1:3478 --wait {wait}"));

        Assert.Equal(TimeSpan.FromSeconds(seconds), Assert.Single(app.Fake.Connects).PeerWait);
    }

    [Fact]
    public async Task P2p_WaitZero_WaitsUntilInterrupted()
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync("p2p --room blue-otter --signal 127.0.0.1:3478 --wait 0"));

        Assert.Equal(Timeout.InfiniteTimeSpan, Assert.Single(app.Fake.Connects).PeerWait);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("10d")]
    [InlineData("100000h")]
    public async Task P2p_BadWait_IsAUsageErrorThatSaysTheForm(string wait)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"p2p --room blue-otter --wait {wait}"));

        Assert.StartsWith($"'{wait}' is not a valid --wait: give seconds or a number with s, m or h", app.Console.ErrorText, StringComparison.Ordinal);
        Assert.Empty(app.Fake.Connects);
    }

    [Theory]
    [InlineData("p2p --room blue-otter")]
    [InlineData("p2p --room blue-otter --json")]
    public async Task P2p_NoServerConfiguredAndNoneLocal_SaysHowToGetOne(string commandLine)
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException(
            "The signaling server 127.0.0.1:3478 did not answer within 5 s.",
            new SignalingTimeoutException("the signaling server 127.0.0.1:3478 did not answer within 5 s"));

        Assert.Equal(ExitCodes.Failure, await app.RunAsync(commandLine));

        var sentence = "No signaling server configured (and none answered at the default 127.0.0.1:3478): run one with `secretchat signal` or pass --signal HOST:PORT.";
        Assert.Equal(sentence, app.Console.ErrorText.Trim());
        if (commandLine.EndsWith("--json", StringComparison.Ordinal))
        {
            var error = app.Console.OutLines.Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("event").GetString() == "error");
            Assert.Equal(sentence, error.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("p2p --room blue-otter --signal 127.0.0.1:3478")]
    [InlineData("p2p --room blue-otter")]
    public async Task P2p_AServerWasChosen_KeepsItsOwnSentence(string commandLine)
    {
        using var app = new TestApp();
        app.Environment["SECRETCHAT_Signaling__Server"] = commandLine.Contains("--signal", StringComparison.Ordinal) ? "127.0.0.1:3478" : "signal.example.org:3478";
        app.Fake.OnConnect = (options, _, _) => throw new ChatFailedException(
            $"The signaling server {options.EndPoint} did not answer within 5 s.",
            new SignalingTimeoutException($"the signaling server {options.EndPoint} did not answer within 5 s"));

        Assert.Equal(ExitCodes.Failure, await app.RunAsync(commandLine));

        Assert.EndsWith("did not answer within 5 s.", app.Console.ErrorText.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("configured", app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public void NoPeerCame_LongWait_ReadsInMinutes() =>
        Assert.StartsWith("No peer joined room 'blue-otter' within 10 min;", UserSentences.NoPeerCame("blue-otter", ChatOptions.DefaultPeerWait), StringComparison.Ordinal);

    [Fact]
    public async Task ScriptedConnect_WhileWaiting_StatusLinesSayForHowLong()
    {
        using var app = new TestApp();
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Fake.OnConnect = async (_, progress, ct) =>
        {
            progress!.Report("waiting for the peer to join room 'blue-otter'");
            reported.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        using var interrupt = new CancellationTokenSource();

        var run = app.StartAsync("p2p --room blue-otter --signal 127.0.0.1:3478 --json", interrupt.Token);
        await reported.Task.WaitAsync(TestApp.Timeout);
        // The first repeat comes after 5 s on the real clock (later under load): wait for it (bounded), then stop.
        await app.Console.WaitForOutputAsync("waiting for the peer to join room 'blue-otter' (", TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Interrupted, await run.WaitAsync(TestApp.Timeout));
        // Never earlier than the first interval, and counted in whole seconds.
        var first = System.Text.RegularExpressions.Regex.Match(app.Console.OutText, @"waiting for the peer to join room 'blue-otter' \((\d+) s\)");
        Assert.True(first.Success, app.Console.OutText);
        Assert.InRange(int.Parse(first.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 5, int.MaxValue);
    }

    [Fact]
    public async Task Connector_NoPeerJoinsWithinTheWait_FailsWithOneSentence()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var scheduler = new TestScheduler();
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new InlineProgress(text =>
        {
            if (text.Contains("waiting for the peer", StringComparison.Ordinal)) registered.TrySetResult();
        });
        var options = new ChatOptions
        {
            Transport = ChatTransport.PeerToPeer,
            EndPoint = server.LocalEndPoint.ToString(),
            Room = "nobody-comes",
            Encryption = BuiltInModules.Pseudo,
            // Shorter than the membership's refresh toward the server, whose answers cannot come in virtual time.
            PeerWait = TimeSpan.FromSeconds(3),
        };

        var connecting = new ChatConnector(scheduler).ConnectAsync(options, progress);
        await registered.Task.WaitAsync(TestApp.Timeout);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(3).Ticks - 1);
        Assert.False(connecting.IsCompleted);
        scheduler.AdvanceBy(1);

        var failure = await Assert.ThrowsAsync<ChatFailedException>(() => connecting.WaitAsync(TestApp.Timeout));
        Assert.Equal(UserSentences.NoPeerCame("nobody-comes", TimeSpan.FromSeconds(3)), failure.Message);
        Assert.Equal(
            "No peer joined room 'nobody-comes' within 3 s; check that the other side uses the same room and signaling server, or wait longer with --wait.",
            failure.Message);
    }
}
