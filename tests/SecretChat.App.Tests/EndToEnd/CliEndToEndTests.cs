using System.Net;
using System.Net.Sockets;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// The built <c>secretchat</c> executable, run as a script would run it, over loopback TCP.
/// </summary>
public class CliEndToEndTests
{
    [Theory]
    [InlineData("tcp", "rsa")]
    [InlineData("tcp", "pseudo")]
    [InlineData("tcp", "noise")]
    [InlineData("udp", "rsa")]
    [InlineData("udp", "pseudo")]
    [InlineData("udp", "noise")]
    public async Task ListenAndConnect_ScriptedWithJson_DeliverEveryLineInOrderAndBothExitZero(string transport, string mode)
    {
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--encryption", mode, "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--encryption", mode, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null);

        string[] fromAlice = ["hello bob", "second line, with \"quotes\"", "ünïcødé ✓"];
        string[] fromBob = ["hi alice", "bye"];
        await alice.WriteLinesAsync(fromAlice);
        await bob.WriteLinesAsync(fromBob);
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());

        Assert.Equal(fromAlice, bob.TextsFrom("alice"));
        Assert.Equal(fromBob, alice.TextsFrom("bob"));
        var connected = alice.Events.Single(e => e.GetProperty("event").GetString() == "connected");
        Assert.Equal("bob", connected.GetProperty("peer").GetString());
        Assert.Equal(mode, connected.GetProperty("encryption").GetString());
        Assert.Equal(transport, connected.GetProperty("transport").GetString());
        Assert.Equal("direct", connected.GetProperty("path").GetString());
        Assert.Equal(fromAlice.Length, alice.Events.Count(e => e.GetProperty("event").GetString() == "delivered"));
        Assert.DoesNotContain("   at ", alice.Stderr + bob.Stderr);
    }

    [Fact]
    public async Task Connect_MismatchedModes_IsRefusedOnBothSidesWithAClearMessage()
    {
        await using var bob = SecretChatProcess.Start("listen", "--tcp", "127.0.0.1:0", "--encryption", "rsa", "--name", "bob", "--json");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start("connect", "--tcp", address, "--encryption", "pseudo", "--name", "alice", "--json");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        Assert.Contains("The peer uses rsa encryption but this side uses pseudo", alice.Stderr);
        var refusal = await bob.WaitForEventAsync("error");
        Assert.Contains("The peer uses pseudo encryption but this side uses rsa", refusal.GetProperty("message").GetString());
        Assert.DoesNotContain("   at ", alice.Stderr + bob.Stderr);
    }

    [Fact]
    public async Task Connect_ClosedPort_PrintsOneSentenceAndExitsNonZero()
    {
        var port = LoopbackPorts.UnusedTcp();
        await using var alice = SecretChatProcess.Start("connect", "--tcp", $"127.0.0.1:{port}", "--encryption", "pseudo");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        var line = Assert.Single(alice.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Contains("refused", line);
    }

    [Fact]
    public async Task ConnectUdp_NobodyAnswers_FailsAfterTheHandshakeTimeoutWithOneSentence()
    {
        var port = LoopbackPorts.UnusedUdp();
        await using var alice = SecretChatProcess.Start("connect", "--udp", $"127.0.0.1:{port}", "--encryption", "pseudo", "--timeout", "1");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        var line = Assert.Single(alice.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"127.0.0.1:{port} did not answer the handshake within 1 s", line);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("oversize")]
    [InlineData("hello-then-close")]
    [InlineData("close-mid-frame")]
    public async Task Listen_BadPeer_IsRejectedWithAReasonAndTheListenerKeepsServing(string fault)
    {
        await using var bob = SecretChatProcess.Start("listen", "--tcp", "127.0.0.1:0", "--encryption", "pseudo", "--name", "bob", "--json");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        var endPoint = IPEndPoint.Parse(address);

        using (var rogue = new TcpClient())
        {
            await rogue.ConnectAsync(endPoint);
            var stream = rogue.GetStream();
            byte[] bytes = fault switch
            {
                "garbage" => [0, 0, 0, 5, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o'],
                "oversize" => [0xFF, 0xFF, 0xFF, 0xFF],
                "hello-then-close" => [0, 0, 0, 7, (byte)'S', (byte)'C', (byte)'H', (byte)'T', 1, 0, 1],
                _ => [0, 0, 0, 100, 1, 2, 3],
            };
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }

        var error = await bob.WaitForEventAsync("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));

        await using var alice = SecretChatProcess.Start("connect", "--tcp", address, "--encryption", "pseudo", "--name", "alice", "--json");
        await alice.WriteLinesAsync("still there?");
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["still there?"], bob.TextsFrom("alice"));
    }

    [Fact]
    public async Task Config_MissingFile_NamesTheFileAndExitsNonZero()
    {
        await using var alice = SecretChatProcess.Start("connect", "--tcp", "127.0.0.1:9", "--config", "/nonexistent/secretchat.json");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        Assert.Contains("/nonexistent/secretchat.json", alice.Stderr);
        Assert.DoesNotContain("   at ", alice.Stderr);
    }

    [Fact]
    public async Task Config_MalformedFile_NamesTheFileAndExitsNonZero()
    {
        using var home = new TempDirectory();
        var config = home.WriteFile("broken.json", "{ \"Encryption\": ");
        await using var alice = SecretChatProcess.Start("connect", "--tcp", "127.0.0.1:9", "--config", config);
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        Assert.Contains(config, alice.Stderr);
        Assert.DoesNotContain("   at ", alice.Stderr);
    }
}
