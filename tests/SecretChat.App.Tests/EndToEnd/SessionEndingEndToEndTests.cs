using System.Diagnostics;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// How sessions end, with the built <c>secretchat</c>: a script that finishes against a person's listener, Ctrl+C and
/// SIGTERM in either role over TCP and UDP. Every session ends the same way: the peer is told, and says so at once.
/// </summary>
public class SessionEndingEndToEndTests
{
    /// <summary>What "at once" means for a peer's report of the end (the bound), measured from the cause.</summary>
    private static readonly TimeSpan ReportBound = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task ScriptedConnect_ToAnInteractiveListener_ExitsZeroWithinTwoSecondsAndTheListenerWaitsAgain(string transport)
    {
        var port = transport == "tcp" ? LoopbackPorts.UnusedTcp() : LoopbackPorts.UnusedUdp();
        var address = $"127.0.0.1:{port}";
        await using var bob = SecretChatProcess.StartInTerminal("bob", "listen", $"--{transport}", address, "--encryption", "pseudo", "--name", "bob");
        await bob.WaitForLineAsync(line => line.Contains($"Listening on {address}", StringComparison.Ordinal), Timeouts.Process);

        foreach (var who in new[] { "alice", "carol" })
        {
            await using var peer = SecretChatProcess.Start(
                ["connect", $"--{transport}", address, "--encryption", "pseudo", "--name", who, "--json"], null, who);
            await peer.WaitForEventAsync("connected");
            await peer.WriteLinesAsync($"hi from {who}");
            peer.CloseInput();

            // The person at the listener has nothing more for a peer that finished: the listener finishes too.
            await peer.WaitForEventAsync("peer_finished");
            var sinceTheListenerFinished = Stopwatch.StartNew();
            Assert.Equal(0, await peer.WaitForExitAsync());
            Assert.True(sinceTheListenerFinished.Elapsed < ReportBound,
                $"{who} exited {sinceTheListenerFinished.Elapsed.TotalSeconds:0.00} s after the listener finished.\n{peer.Transcript()}");
            Assert.Equal(1, peer.Events.Count(e => SecretChatProcess.Kind(e) == "delivered"));

            await bob.WaitForLineAsync(line => line.Contains($"hi from {who}", StringComparison.Ordinal));
            await bob.WaitForLineAsync(line => line.Contains("Waiting for the next peer", StringComparison.Ordinal));
        }
        Assert.False(bob.HasExited, bob.Transcript());
    }

    [Theory]
    [InlineData("tcp", "connect", "INT")]
    [InlineData("tcp", "connect", "TERM")]
    [InlineData("tcp", "listen", "INT")]
    [InlineData("tcp", "listen", "TERM")]
    [InlineData("udp", "connect", "INT")]
    [InlineData("udp", "connect", "TERM")]
    [InlineData("udp", "listen", "INT")]
    [InlineData("udp", "listen", "TERM")]
    public async Task Signal_WhileAScriptWaitsOnItsInput_ClosesTheSessionAndThePeerReportsItWithinTwoSeconds(string transport, string role, string signal)
    {
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--encryption", "pseudo", "--name", "bob", "--json"], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--encryption", "pseudo", "--name", "alice", "--json"], null, "alice");
        await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");

        // Both inputs stay open: each side waits on a line that never comes when the signal arrives.
        var (signalled, peer) = role == "listen" ? (bob, alice) : (alice, bob);
        var sinceTheSignal = Stopwatch.StartNew();
        if (signal == "INT")
            await signalled.InterruptAsync();
        else
            await signalled.TerminateAsync();

        var disconnected = await peer.WaitForEventAsync("disconnected");
        var reported = sinceTheSignal.Elapsed;
        Assert.True(reported < ReportBound, $"{peer.Name} reported the close {reported.TotalSeconds:0.00} s after SIG{signal}.\n{peer.Transcript()}");
        Assert.Contains("interrupted", disconnected.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(disconnected.GetProperty("clean").GetBoolean(), peer.Transcript());

        Assert.Equal(signal == "INT" ? 130 : 143, await signalled.WaitForExitAsync());
        var own = signalled.Events.Single(e => SecretChatProcess.Kind(e) == "disconnected");
        Assert.Contains("interrupted", own.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", signalled.Stderr + peer.Stderr);
    }

    [Fact]
    public async Task Connect_ToAListenerInASession_IsToldItIsBusyAndExitsNonZero_AndTheListenersUserSeesTheTry()
    {
        await using var bob = SecretChatProcess.Start(
            ["listen", "--tcp", "127.0.0.1:0", "--encryption", "pseudo", "--name", "bob", "--json"], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", "--tcp", address, "--encryption", "pseudo", "--name", "alice", "--json"], null, "alice");
        await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");

        await using var carol = SecretChatProcess.Start(
            ["connect", "--tcp", address, "--encryption", "pseudo", "--name", "carol", "--json"], null, "carol");
        Assert.NotEqual(0, await carol.WaitForExitAsync());
        Assert.Contains("the listener is in a session with someone else; try again later", carol.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", carol.Stderr);
        var tried = await bob.WaitForEventAsync("error");
        Assert.Contains("Tried to connect during this session and was told this side is busy.", tried.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The session in progress goes on undisturbed.
        await alice.WriteLinesAsync("still here");
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["still here"], bob.TextsFrom("alice"));
        Assert.Empty(bob.TextsFrom("carol"));
    }
}
