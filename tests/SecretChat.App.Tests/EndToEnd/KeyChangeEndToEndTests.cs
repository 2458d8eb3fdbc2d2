namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// A peer that comes back with a new identity key, with the built <c>secretchat</c>: the refused side hears why and
/// what to do and is never shown as connected; an interactive listener shows both safety numbers and asks, and
/// <c>/trust</c> lets that one peer in while it waits.
/// </summary>
public class KeyChangeEndToEndTests
{
    private sealed class People(TempDirectory home)
    {
        public string[] Identity(string who) =>
            ["--name", who.Split('-')[0], "--identity", Path.Combine(home.Path, who, "identity.key"), "--known-peers", Path.Combine(home.Path, who, "known_peers.json")];
    }

    /// <summary>What the terminal showed, with the rows the terminal wrapped joined again.</summary>
    private static string Screen(SecretChatProcess process) =>
        System.Text.RegularExpressions.Regex.Replace(string.Join('\n', process.StdoutLines), @"\s+", " ");

    /// <summary>Alice (her first identity) meets bob once, so that bob pins her key; both exit 0.</summary>
    private static async Task FirstMeetingAsync(People people, string address, SecretChatProcess bob, bool scriptedBob = false)
    {
        await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--json", .. people.Identity("alice-1")], null, "alice-1");
        await alice.WaitForEventAsync("connected");
        await alice.WriteLinesAsync("hello, first key");
        alice.CloseInput();
        if (scriptedBob)
            bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
    }

    [Fact]
    public async Task Connect_ScriptedListenerHasAnotherKeyPinnedForThisName_IsRefusedSayingWhatToDoAndIsNeverConnected()
    {
        using var home = new TempDirectory();
        var people = new People(home);
        await using (var firstBob = SecretChatProcess.Start(["listen", "--tcp", "127.0.0.1:0", "--json", .. people.Identity("bob")], null, "bob"))
        {
            var first = (await firstBob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
            await FirstMeetingAsync(people, first, firstBob, scriptedBob: true);
            Assert.Equal(0, await firstBob.WaitForExitAsync());
        }

        await using var bob = SecretChatProcess.Start(["listen", "--tcp", "127.0.0.1:0", "--json", .. people.Identity("bob")], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--json", .. people.Identity("alice-2")], null, "alice-2");

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        Assert.Contains("its user has another key pinned for you", alice.Stderr, StringComparison.Ordinal);
        Assert.Contains("accept your new key (/trust)", alice.Stderr, StringComparison.Ordinal);
        // Verifying while it waited for bob's answer, and never connected: no banner before the refusal.
        Assert.Contains(alice.Events, e => SecretChatProcess.Kind(e) == "state" && e.GetProperty("state").GetString() == "verifying");
        Assert.DoesNotContain(alice.Events, e => SecretChatProcess.Kind(e) == "connected");
        Assert.DoesNotContain("   at ", alice.Stderr);
        var refused = await bob.WaitForEventAsync("error");
        Assert.Contains("REFUSED: 'alice' presented a different identity key", refused.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/trust")]
    [InlineData("no")]
    public async Task InteractiveListen_KnownPeerWithAChangedKey_AsksWithBothNumbersWhileThePeerWaits(string answer)
    {
        using var home = new TempDirectory();
        var people = new People(home);
        var address = $"127.0.0.1:{LoopbackPorts.UnusedTcp()}";
        await using var bob = SecretChatProcess.StartInTerminal("bob", ["listen", "--tcp", address, .. people.Identity("bob")]);
        await bob.WaitForLineAsync(line => line.Contains($"Listening on {address}", StringComparison.Ordinal), Timeouts.Process);
        await FirstMeetingAsync(people, address, bob);
        await bob.WaitForLineAsync(line => line.Contains("Waiting for the next peer", StringComparison.Ordinal));

        await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--json", .. people.Identity("alice-2")], null, "alice-2");

        // Alice waits, told why; bob sees the refusal, both numbers side by side, and the question.
        var waiting = await alice.WaitForEventAsync(Timeouts.Process, "status", "connected");
        while (SecretChatProcess.Kind(waiting) == "status" && !waiting.GetProperty("text").GetString()!.Contains("Waiting for the listener to accept your new key", StringComparison.Ordinal))
            waiting = await alice.WaitForEventAsync(Timeouts.Process, "status", "connected");
        Assert.Equal("status", SecretChatProcess.Kind(waiting));
        await bob.WaitForLineAsync(line => line.Contains("NEW, presented now", StringComparison.Ordinal));
        await bob.WaitForLineAsync(line => line.Contains("alice is waiting", StringComparison.Ordinal));
        Assert.Contains("REFUSED: 'alice' presented a different identity key", Screen(bob), StringComparison.Ordinal);
        Assert.Contains("pinned for alice", Screen(bob), StringComparison.Ordinal);
        Assert.Contains("Type /trust to accept their new key", Screen(bob), StringComparison.Ordinal);
        Assert.False(alice.HasExited, alice.Transcript());

        await bob.WriteLinesAsync(answer);

        if (answer == "/trust")
        {
            var connected = await alice.WaitForEventAsync("connected");
            Assert.DoesNotContain(alice.Events.TakeWhile(e => !e.Equals(connected)), e => SecretChatProcess.Kind(e) == "error");
            await alice.WriteLinesAsync("hello with my new key");
            await bob.WaitForLineAsync(line => line.Contains("hello with my new key", StringComparison.Ordinal));
            alice.CloseInput();
            Assert.Equal(0, await alice.WaitForExitAsync());
            Assert.Contains("key changed, not verified", Screen(bob), StringComparison.Ordinal);
        }
        else
        {
            Assert.NotEqual(0, await alice.WaitForExitAsync());
            Assert.Contains("its user has another key pinned for you", alice.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.Events, e => SecretChatProcess.Kind(e) == "connected");
            await bob.WaitForLineAsync(line => line.Contains("The new key of 'alice'", StringComparison.Ordinal));
            Assert.Contains("The new key of 'alice' was refused", Screen(bob), StringComparison.Ordinal);
        }
        Assert.False(bob.HasExited, bob.Transcript());
    }
}
