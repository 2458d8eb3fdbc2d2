using System.Net;
using System.Net.Sockets;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Issue 14 against the built <c>secretchat</c>: strangers holding handshakes open do not keep a real peer out of a
/// scripted listener (attack 7), and a pin file that cannot be written ends both sides at once with one sentence each
/// (attack 9).
/// </summary>
public class HostileStrangersEndToEndTests
{
    // A noise initiator's hello (docs/PROTOCOL.md §3.1) as one TCP frame.
    private static readonly byte[] NoiseHelloFrame = [0, 0, 0, 0x0e, 0x53, 0x43, 0x48, 0x54, 0x02, 0x01, 0x01, 0x02, 0x05, 0x6e, 0x6f, 0x69, 0x73, 0x65];

    [Fact]
    public async Task ScriptedListen_StrangersHoldOpenHandshakes_ARealConnectGetsInWhileTheyHoldThemAndClaimsTheSession()
    {
        using var home = new TempDirectory();
        // The listener gives each stranger 60 s; the real peer gives its whole connect and handshake 30 s, less than
        // that, so a listener that served the strangers first would keep it out. Neither is a measure of speed: what
        // shows the strangers did not hold the peer up is that they still hold their handshakes once it is in.
        await using var bob = SecretChatProcess.Start(
            ["listen", "--tcp", "127.0.0.1:0", "--name", "bob", "--json", "--timeout", "60", .. home.IdentityArgs("bob")], null, "bob");
        var endPoint = IPEndPoint.Parse((await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!);

        var strangers = new List<TcpClient>();
        using var stopDripping = new CancellationTokenSource();
        try
        {
            for (var i = 0; i < 3; i++)
                strangers.Add(await ConnectAsync(endPoint)); // silent
            var halfway = await ConnectAsync(endPoint);
            strangers.Add(halfway);
            await halfway.GetStream().WriteAsync(NoiseHelloFrame); // a hello, then nothing
            var dripping = await ConnectAsync(endPoint);
            strangers.Add(dripping);
            var drip = DripAsync(dripping.GetStream(), stopDripping.Token);

            await using var alice = SecretChatProcess.Start(
                ["connect", "--tcp", endPoint.ToString(), "--name", "alice", "--json", "--timeout", "30", .. home.IdentityArgs("alice")], null, "alice");
            await alice.WriteLinesAsync("past the strangers");
            Assert.Equal("past the strangers", (await bob.WaitForEventAsync("message")).GetProperty("text").GetString());
            // None was timed out, refused or dropped to make room for alice: each connection is still open, and bob
            // reported no rejection.
            Assert.All(strangers, s => Assert.True(StillOpen(s), "the listener closed a stranger's connection before alice got in"));
            Assert.DoesNotContain(bob.Events, e => SecretChatProcess.Kind(e) == "error");
            alice.CloseInput();
            bob.CloseInput();

            Assert.Equal(0, await alice.WaitForExitAsync());
            Assert.Equal(0, await bob.WaitForExitAsync());
            Assert.Equal(["past the strangers"], bob.TextsFrom("alice"));
            Assert.DoesNotContain("   at ", alice.Stderr + bob.Stderr);
            await stopDripping.CancelAsync();
            await drip;
        }
        finally
        {
            foreach (var stranger in strangers)
                stranger.Dispose();
        }
    }

    [Theory]
    [InlineData("tcp", "listener")]
    [InlineData("tcp", "connector")]
    [InlineData("udp", "listener")]
    [InlineData("udp", "connector")]
    public async Task PinFileCannotBeWritten_EndsBothSidesAtOnceWithOneSentenceEach(string transport, string whoseFile)
    {
        using var home = new TempDirectory();
        // The pin file's folder is a regular file: the store loads (empty) but the first pin cannot be written, even as root.
        var who = whoseFile == "listener" ? "bob" : "alice";
        Directory.CreateDirectory(home.File(who));
        var blocker = home.WriteFile(Path.Combine(who, "blocker"), "not a folder");
        var unwritable = Path.Combine(blocker, "known_peers.json");
        string[] Args(string name) => name == who
            ? ["--identity", home.File(name, "identity.key"), "--known-peers", unwritable]
            : home.IdentityArgs(name);
        var timeout = TimeSpan.FromSeconds(30);

        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--name", "bob", "--json", "--timeout", "30", .. Args("bob")], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--name", "alice", "--json", "--timeout", "30", .. Args("alice")], null, "alice");
        alice.CloseInput();
        bob.CloseInput();
        const string Refused = "The peer closed the session: it does not trust this side's key (the peer could not record your key).";

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        // Both ended on the refusal, not on a timeout (a process's clock includes its start).
        Assert.True(alice.Elapsed < timeout, $"alice took {alice.Elapsed.TotalSeconds:0.0} s");
        if (whoseFile == "connector")
        {
            // A listener refused by its peer was never connected: that peer is a rejection, told at once, and the
            // listener goes on waiting for the next one.
            var rejected = await bob.WaitForEventAsync("error");
            Assert.EndsWith(Refused, rejected.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.False(bob.HasExited, bob.Transcript());
            Assert.DoesNotContain(bob.Events, e => SecretChatProcess.Kind(e) == "connected");
        }
        else
        {
            Assert.NotEqual(0, await bob.WaitForExitAsync());
            Assert.True(bob.Elapsed < timeout + timeout, $"bob took {bob.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(Refused, Assert.Single(Lines(alice.Stderr)));
        }

        var failing = whoseFile == "listener" ? bob : alice;
        var ours = Assert.Single(Lines(failing.Stderr));
        Assert.Contains(blocker, ours);
        Assert.Contains("--known-peers", ours);
        Assert.Empty(alice.ReceivedTexts.Concat(bob.ReceivedTexts)); // nothing was exchanged
    }

    [Theory]
    [InlineData("listen", "--tcp")]
    [InlineData("listen", "--udp")]
    [InlineData("connect", "--tcp")]
    public async Task PinFileIsAFolder_FailsAtStartWithOneSentenceBeforeAnyPacket(string command, string transport)
    {
        using var home = new TempDirectory();
        var folder = home.File("alice", "known_peers.json");
        Directory.CreateDirectory(folder);
        // Nothing listens on this port: a connect that got as far as the network would fail differently.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var address = closed.LocalEndpoint.ToString()!;
        closed.Stop();

        await using var alice = SecretChatProcess.Start(
            [command, transport, command == "listen" ? "127.0.0.1:0" : address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null, "alice");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        var sentence = Assert.Single(Lines(alice.Stderr));
        Assert.Equal($"The known-peers file {folder} is a folder, not a file; point --known-peers at a file path.", sentence);
        // It never listened nor reached the network (nothing listens on that port: a connect would have failed there).
        var events = alice.Events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.DoesNotContain("listening", events);
        Assert.DoesNotContain("connected", events);
        Assert.All(alice.Events.Where(e => e.GetProperty("event").GetString() == "error"),
            e => Assert.Equal(sentence, e.GetProperty("message").GetString()));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<TcpClient> ConnectAsync(IPEndPoint endPoint)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endPoint);
        return client;
    }

    /// <summary>True while the listener has neither closed nor reset the connection (what it sent is read and set aside).</summary>
    private static bool StillOpen(TcpClient client)
    {
        var buffer = new byte[256];
        try
        {
            // Readable means data, an end of stream or a reset; a receive then returns at once.
            while (client.Client.Poll(0, SelectMode.SelectRead))
            {
                if (client.Client.Receive(buffer) == 0)
                    return false;
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A valid hello, one byte every half second, until stopped.</summary>
    private static async Task DripAsync(NetworkStream stream, CancellationToken stop)
    {
        try
        {
            foreach (var b in NoiseHelloFrame)
            {
                await stream.WriteAsync(new[] { b }, stop);
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop); // the attacker's pace, not a wait for an event
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }
}
