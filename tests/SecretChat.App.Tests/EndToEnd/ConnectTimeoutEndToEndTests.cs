using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary><c>--timeout</c> bounds the whole connect (connecting, the handshake, checking the peer), not each phase.</summary>
public class ConnectTimeoutEndToEndTests
{
    [Fact]
    public async Task Connect_SilentTcpPeer_FailsWithinTheTimeoutWithOneSentence()
    {
        // A socket that accepts and never says a word: the connect phase succeeds at once, the handshake never does.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var address = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--encryption", "pseudo", "--timeout", "2", "--json"], null, "alice");
        using var accepted = await silent.AcceptSocketAsync().WaitAsync(Timeouts.Process);
        var sinceConnected = Stopwatch.StartNew();

        Assert.Equal(1, await alice.WaitForExitAsync());
        var elapsed = sinceConnected.Elapsed;
        // 2 s of timeout, and at most 1 s for the process to say so and exit on a loaded machine.
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"exited {elapsed.TotalSeconds:0.00} s after connecting.\n{alice.Transcript()}");
        // Not before the timeout, by the process's own clock: this test may see the connection late on a loaded machine.
        var connecting = alice.Events.First(e => SecretChatProcess.Kind(e) == "state").GetProperty("time").GetDateTimeOffset();
        var failed = alice.Events.First(e => SecretChatProcess.Kind(e) == "error").GetProperty("time").GetDateTimeOffset();
        Assert.True(failed - connecting >= TimeSpan.FromSeconds(1.9), $"gave up {(failed - connecting).TotalSeconds:0.00} s into a 2 s timeout.\n{alice.Transcript()}");
        var line = Assert.Single(alice.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Contains($"{address} did not answer the handshake within 2 s", line, StringComparison.Ordinal);
    }
}
