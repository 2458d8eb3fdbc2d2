using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.App.Tests.EndToEnd;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.App.Tests.Composition;

/// <summary>Noise identities, safety numbers and trust on first use, as users meet them.</summary>
public class PinnedPeerVerifierTests
{
    [Fact]
    public async Task FreshIdentity_IsRefusedByThePin_UntilTheNewKeyIsAcceptedExplicitly()
    {
        using var home = new TempDirectory();
        string[] Bob(params string[] extra) => ["listen", "--tcp", "127.0.0.1:0", "--name", "bob", "--json", .. home.IdentityArgs("bob"), .. extra];
        string[] Alice(string address, string identity) => ["connect", "--tcp", address, "--name", "alice", "--json",
            "--identity", Path.Combine(home.Path, identity, "identity.key"), "--known-peers", Path.Combine(home.Path, "alice", "known_peers.json")];

        // First contact: both pin each other and see the same safety number.
        var (first, aliceFirst, bobFirst) = await ChatOnceAsync(Bob(), address => Alice(address, "alice"));
        Assert.Equal((0, 0), first);
        var safetyNumber = aliceFirst.GetProperty("fingerprint").GetString();
        Assert.Matches(@"^(\d{5} ){11}\d{5}$", safetyNumber);
        Assert.Equal(safetyNumber, bobFirst.GetProperty("fingerprint").GetString());

        // Alice comes back with a new identity: bob's pin refuses her, loudly, on both sides.
        await using (var bob = SecretChatProcess.Start(Bob(), null))
        {
            var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
            await using var alice = SecretChatProcess.Start(Alice(address, "alice-new"), null);
            alice.CloseInput();
            Assert.NotEqual(0, await alice.WaitForExitAsync());
            // The refused side is told why and what its peer must do.
            Assert.Contains("its user has another key pinned for you", alice.Stderr);
            Assert.Contains("they must compare safety numbers with you and accept your new key (/trust)", alice.Stderr);
            var refusal = (await bob.WaitForEventAsync("error")).GetProperty("message").GetString();
            Assert.Contains("REFUSED: 'alice' presented a different identity key", refusal);
            Assert.Contains("--accept-new-key", refusal);
        }

        // Bob accepts the new key explicitly: the chat goes through and the new key is pinned.
        var (accepted, _, _) = await ChatOnceAsync(Bob("--accept-new-key"), address => Alice(address, "alice-new"));
        Assert.Equal((0, 0), accepted);
        var (again, _, _) = await ChatOnceAsync(Bob(), address => Alice(address, "alice-new"));
        Assert.Equal((0, 0), again);
    }

    [Fact]
    public async Task InteractiveConnect_ChangedKey_TrustAcceptsItAndReconnects()
    {
        using var home = new TempDirectory();
        var aliceOptions = new ChatOptions
        {
            EndPoint = "",
            Name = "alice",
            IdentityPath = Path.Combine(home.Path, "alice", "identity.key"),
            KnownPeersPath = Path.Combine(home.Path, "alice", "known_peers.json"),
        };
        var connector = new ChatConnector();

        // Alice pins bob's first identity.
        await using (var firstBob = await connector.ListenAsync(Bob(home, "bob-1")))
        {
            var accepting = firstBob.AcceptAsync();
            await using var aliceChat = await connector.ConnectAsync(aliceOptions with { EndPoint = firstBob.LocalEndPoint.ToString()! });
            await using var bobChat = await accepting.WaitAsync(TestApp.Timeout);
        }

        // Bob returns with a new identity; alice, at a terminal, is asked and types /trust.
        await using var secondBob = await connector.ListenAsync(Bob(home, "bob-2"));
        var bobRejections = secondBob.Rejections.Replay();
        using var rejectionsConnected = bobRejections.Connect();
        var bobSessions = Task.Run(async () =>
        {
            // The refused attempt never becomes a session at bob's: alice's Close arrives instead of her Hello.
            await using var trusted = await secondBob.AcceptAsync();
            await trusted.Completion.WaitAsync(TestApp.Timeout);
        });
        var input = new LineFeed();
        var console = new FakeConsole(input, isInputRedirected: false);
        var app = new SecretChat.Cli.CliApp(console, _ => connector, new Dictionary<string, string?>(), home.Path);
        var run = app.RunAsync(["connect", "--tcp", secondBob.LocalEndPoint.ToString()!, "--name", "alice",
            "--identity", aliceOptions.IdentityPath!, "--known-peers", aliceOptions.KnownPeersPath!]);

        await console.WaitForOutputAsync("Type /trust", TestApp.Timeout);
        Assert.Contains("REFUSED: 'bob' presented a different identity key", console.OutText);
        // Both safety numbers, the pinned one and the new one, before the question.
        Assert.Contains("pinned for bob", console.OutText);
        Assert.Contains("NEW, presented now", console.OutText);
        // Each number is two rows of six groups (one per side's key): this side's half is the same, the peer's differs.
        var rows = System.Text.RegularExpressions.Regex.Matches(console.OutText, @"[│|] ((?:\d{5} ){5}\d{5}) +[│|] ((?:\d{5} ){5}\d{5}) +[│|]");
        Assert.True(rows.Count >= 2, console.OutText);
        Assert.NotEqual(rows[0].Groups[1].Value + rows[1].Groups[1].Value, rows[0].Groups[2].Value + rows[1].Groups[2].Value);
        input.Type("/trust");
        await console.WaitForOutputAsync("connected to bob", TestApp.Timeout);
        input.Type("/verify");
        await console.WaitForOutputAsync("see the same number?", TestApp.Timeout);
        input.Type("yes");
        await console.WaitForOutputAsync("bob is now marked as verified", TestApp.Timeout);
        input.Type("/quit");

        Assert.Equal(0, await run.WaitAsync(TestApp.Timeout));
        await bobSessions.WaitAsync(TestApp.Timeout);
        Assert.Contains("key", await bobRejections.FirstAsync().ToTask().WaitAsync(TestApp.Timeout), StringComparison.Ordinal);
        var pins = KnownPeers.Load(aliceOptions.KnownPeersPath);
        var bobKey = IdentityStore.LoadOrCreate(Path.Combine(home.Path, "bob-2", "identity.key")).PublicKey;
        var check = pins.Check("bob", bobKey.Span);
        Assert.Equal(PeerVerdict.Match, check.Verdict);
        Assert.True(check.IsVerified);
    }

    [Theory]
    [InlineData("/trust")]
    [InlineData("no")]
    public async Task InteractiveListen_ChangedKey_AsksWhileThePeerWaitsAndTrustLetsThatPeerIn(string answer)
    {
        using var home = new TempDirectory();
        var connector = new ChatConnector();
        var address = $"127.0.0.1:{LoopbackPorts.UnusedTcp()}";
        ChatOptions Alice(string identity) => new()
        {
            EndPoint = address,
            Name = "alice",
            IdentityPath = home.File(identity, "identity.key"),
            KnownPeersPath = home.File(identity, "known_peers.json"),
        };
        var input = new LineFeed();
        var console = new FakeConsole(input, isInputRedirected: false);
        var app = new SecretChat.Cli.CliApp(console, _ => connector, new Dictionary<string, string?>(), home.Path);
        using var stop = new CancellationTokenSource();
        var run = app.RunAsync(["listen", "--tcp", address, "--name", "bob",
            "--identity", home.File("bob", "identity.key"), "--known-peers", home.File("bob", "known_peers.json")], stop.Token);
        await console.WaitForOutputAsync("Listening on", TestApp.Timeout);

        // Bob pins alice's first key.
        await using (var first = await connector.ConnectAsync(Alice("alice-1")).WaitAsync(TestApp.Timeout))
            Assert.True(await first.FinishAsync().WaitAsync(TestApp.Timeout));
        await console.WaitForOutputAsync("Waiting for the next peer", TestApp.Timeout);

        // Alice returns with a new identity: bob is asked, with both numbers, while alice waits and is told why.
        var toldToWait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connecting = connector.ConnectAsync(Alice("alice-2"), new Lines(line =>
        {
            if (line == UserSentences.WaitingForKeyAcceptance)
                toldToWait.TrySetResult();
        }));
        await console.WaitForOutputAsync("Type /trust", TestApp.Timeout);
        Assert.Contains("REFUSED: 'alice' presented a different identity key", console.OutText);
        Assert.Contains("pinned for alice", console.OutText);
        Assert.Contains("NEW, presented now", console.OutText);
        Assert.False(connecting.IsCompleted);
        // The listener's question and its Deciding envelope to alice go out side by side: await what alice is told.
        await toldToWait.Task.WaitAsync(TestApp.Timeout);

        input.Type(answer);

        if (answer == "/trust")
        {
            await using var chat = await connecting.WaitAsync(TestApp.Timeout);
            await console.WaitForOutputAsync("connected to alice", TestApp.Timeout);
            await chat.SendAsync("hello with my new key");
            await console.WaitForOutputAsync("hello with my new key", TestApp.Timeout);
            Assert.Contains("key changed, not verified", console.OutText);
            var pins = KnownPeers.Load(home.File("bob", "known_peers.json"));
            var newKey = IdentityStore.LoadOrCreate(home.File("alice-2", "identity.key")).PublicKey;
            Assert.Equal(PeerVerdict.Match, pins.Check("alice", newKey.Span).Verdict);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<ChatFailedException>(() => connecting.WaitAsync(TestApp.Timeout));
            Assert.Contains("its user has another key pinned for you", refused.Message);
            await console.WaitForOutputAsync("was refused", TestApp.Timeout);
            var pins = KnownPeers.Load(home.File("bob", "known_peers.json"));
            var oldKey = IdentityStore.LoadOrCreate(home.File("alice-1", "identity.key")).PublicKey;
            Assert.Equal(PeerVerdict.Match, pins.Check("alice", oldKey.Span).Verdict);
        }
        await stop.CancelAsync();
        await run.WaitAsync(TestApp.Timeout);
    }

    /// <summary>Progress lines as they are reported, on the reporting thread (<see cref="Progress{T}"/> posts them later).</summary>
    private sealed class Lines(Action<string> onLine) : IProgress<string>
    {
        public void Report(string value) => onLine(value);
    }

    private static ChatOptions Bob(TempDirectory home, string identity) => new()
    {
        EndPoint = "127.0.0.1:0",
        Name = "bob",
        Encryption = BuiltInModules.Noise,
        IdentityPath = Path.Combine(home.Path, identity, "identity.key"),
    };

    private static async Task<((int Alice, int Bob) Exits, System.Text.Json.JsonElement AliceConnected, System.Text.Json.JsonElement BobConnected)> ChatOnceAsync(
        string[] bobArgs, Func<string, string[]> aliceArgs)
    {
        await using var bob = SecretChatProcess.Start(bobArgs, null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(aliceArgs(address), null);
        await alice.WriteLinesAsync("hi");
        alice.CloseInput();
        bob.CloseInput();
        var exits = (await alice.WaitForExitAsync(), await bob.WaitForExitAsync());
        var aliceConnected = alice.Events.FirstOrDefault(e => e.GetProperty("event").GetString() == "connected");
        var bobConnected = bob.Events.FirstOrDefault(e => e.GetProperty("event").GetString() == "connected");
        Assert.True(exits == (0, 0), $"alice: {alice.Stderr}\nbob: {bob.Stderr}");
        return (exits, aliceConnected, bobConnected);
    }
}
