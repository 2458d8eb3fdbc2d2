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

    [Theory]
    [InlineData("connect")]
    [InlineData("listen")]
    public async Task SecondInterrupt_WhileTheFirstWaitsOnAPeerThatDoesNotAnswer_ExitsAtOnceWith130(string role)
    {
        await using var bob = SecretChatProcess.Start(
            ["listen", "--udp", "127.0.0.1:0", "--encryption", "pseudo", "--name", "bob", "--json"], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", "--udp", address, "--encryption", "pseudo", "--name", "alice", "--json"], null, "alice");
        await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");
        var (signalled, peer) = role == "listen" ? (bob, alice) : (alice, bob);

        // The peer stops answering (stopped, not gone: its socket stays and swallows the Close), so the first Ctrl+C's
        // clean close waits for an acknowledgement that never comes.
        await SendSignalAsync("STOP", peer.Id);
        try
        {
            await signalled.InterruptAsync();
            await signalled.WaitForEventAsync("state"); // closing: the first press is being handled
            Assert.False(signalled.HasExited, signalled.Transcript());

            var sinceTheSecond = Stopwatch.StartNew();
            await signalled.InterruptAsync();
            Assert.Equal(130, await signalled.WaitForExitAsync(ReportBound));
            Assert.True(sinceTheSecond.Elapsed < ReportBound, $"exited {sinceTheSecond.Elapsed.TotalSeconds:0.00} s after the second Ctrl+C.\n{signalled.Transcript()}");
            Assert.DoesNotContain("   at ", signalled.Stderr);
        }
        finally
        {
            await SendSignalAsync("CONT", peer.Id);
        }
    }

    private static async Task SendSignalAsync(string signal, int processId)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync().WaitAsync(Timeouts.Default);
        Assert.Equal(0, kill.ExitCode);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Connect_ToAListenerInASession_IsToldItIsBusyAndExitsNonZero_AndTheListenersUserSeesTheTry(string transport)
    {
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--encryption", "pseudo", "--name", "bob", "--json"], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--encryption", "pseudo", "--name", "alice", "--json"], null, "alice");
        await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");

        await using var carol = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--encryption", "pseudo", "--name", "carol", "--json"], null, "carol");
        Assert.NotEqual(0, await carol.WaitForExitAsync());
        // Told (not a timeout, which says so in other words), and never shown as connected before the refusal.
        Assert.Contains("the listener is in a session with someone else; try again later", carol.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(carol.Events, e => SecretChatProcess.Kind(e) == "connected");
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
