using System.Diagnostics;
using System.Text.Json;
using SecretChat.Security.Identity;
using Xunit.Abstractions;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Pairing with a short code as users run it (issue 15): a signaling server process and two p2p processes on loopback;
/// one shows the code, the other types it.
/// </summary>
public class CodePairingEndToEndTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> DirectOnly = new() { ["SECRETCHAT_P2p__RelayFallbackSeconds"] = "0" };

    [Fact]
    public async Task P2p_CodeFromOneSideTypedOnTheOther_PairsVerifiedByCodeChatsAndTheServerNeverSeesTheWords()
    {
        using var home = new TempDirectory();
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        var server = await ServerAsync(signal);

        await using var alice = SecretChatProcess.Start(["p2p", "--signal", server, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);
        var codeEvent = await alice.WaitForEventAsync("code");
        var code = codeEvent.GetProperty("code").GetString()!;
        Assert.Matches(@"^\d+-[a-z]+-[a-z]+$", code);
        Assert.Equal($"On the other machine run: secretchat p2p {code}", codeEvent.GetProperty("instruction").GetString());
        var entered = Stopwatch.StartNew();
        await using var bob = SecretChatProcess.Start(["p2p", code, "--signal", server, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);

        var bobConnected = await bob.WaitForEventAsync("connected");
        var aliceConnected = await alice.WaitForEventAsync("connected");
        entered.Stop();
        output.WriteLine($"from entering the code to a verified connection (process start included): {entered.ElapsedMilliseconds} ms");
        Assert.Equal("code", bobConnected.GetProperty("verified").GetString());
        Assert.Equal("code", aliceConnected.GetProperty("verified").GetString());
        Assert.Equal("alice", bobConnected.GetProperty("peer").GetString());

        await alice.WriteLinesAsync("hi bob, paired by code");
        await bob.WriteLinesAsync("hi alice");
        alice.CloseInput();
        bob.CloseInput();
        var (aliceExit, bobExit) = (await alice.WaitForExitAsync(), await bob.WaitForExitAsync());
        Assert.True(aliceExit == 0 && bobExit == 0, $"alice {aliceExit}: {alice.Transcript()}\nbob {bobExit}: {bob.Transcript()}");
        Assert.Equal(["hi bob, paired by code"], bob.TextsFrom("alice"));
        Assert.Equal(["hi alice"], alice.TextsFrom("bob"));
        Assert.Equal(PeerVerification.Code, Assert.Single(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts).VerifiedBy);
        Assert.Equal(PeerVerification.Code, Assert.Single(KnownPeers.Load(home.File("bob", "known_peers.json")).Contacts).VerifiedBy);

        // The server's log names the nameplate, never a word of the code.
        await signal.TerminateAsync();
        var log = string.Join('\n', signal.StdoutLines) + signal.Stderr;
        var nameplate = code.Split('-')[0];
        Assert.Contains($"#{nameplate}", log);
        foreach (var word in code.Split('-')[1..])
            Assert.DoesNotContain(word, log, StringComparison.OrdinalIgnoreCase);

        // Later, in a room they name, without a code: each is shown as verified by code.
        var room = $"room-{Guid.NewGuid():N}";
        await using var signalAgain = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        var serverAgain = await ServerAsync(signalAgain);
        await using var bobAgain = SecretChatProcess.Start(["p2p", "--room", room, "--signal", serverAgain, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        await bobAgain.WaitForEventAsync("status");
        await using var aliceAgain = SecretChatProcess.Start(["p2p", "--room", room, "--signal", serverAgain, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);
        Assert.Equal("code", (await aliceAgain.WaitForEventAsync("connected")).GetProperty("verified").GetString());
        Assert.Equal("code", (await bobAgain.WaitForEventAsync("connected")).GetProperty("verified").GetString());
        aliceAgain.CloseInput();
        bobAgain.CloseInput();
        Assert.Equal(0, await aliceAgain.WaitForExitAsync());
        Assert.Equal(0, await bobAgain.WaitForExitAsync());
    }

    [Fact]
    public async Task P2p_WrongWords_BothFailWithOneSentencePinNothingAndTheNameplateIsBurned()
    {
        using var home = new TempDirectory();
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        var server = await ServerAsync(signal);

        await using var alice = SecretChatProcess.Start(["p2p", "--signal", server, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);
        var code = (await alice.WaitForEventAsync("code")).GetProperty("code").GetString()!;
        var parts = code.Split('-');
        var wrong = $"{parts[0]}-{parts[1]}-{(parts[2] == "zulu" ? "willow" : "zulu")}";
        await using var mallory = SecretChatProcess.Start(["p2p", wrong, "--signal", server, "--name", "mallory", "--json", .. home.IdentityArgs("mallory")], DirectOnly);

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        Assert.NotEqual(0, await mallory.WaitForExitAsync());
        const string sentence = "The code did not match: nothing was sent; if you typed it correctly, someone may have tried to guess it.";
        Assert.Contains(sentence, alice.Stderr);
        Assert.Contains(sentence, mallory.Stderr);
        Assert.DoesNotContain(alice.Events, e => SecretChatProcess.Kind(e) == "connected");
        Assert.DoesNotContain(mallory.Events, e => SecretChatProcess.Kind(e) == "connected");
        Assert.Empty(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts);
        Assert.Empty(KnownPeers.Load(home.File("mallory", "known_peers.json")).Contacts);

        // The right words on the burned nameplate are refused by the server: the guess cannot be repeated on it.
        await using var bob = SecretChatProcess.Start(["p2p", code, "--signal", server, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        Assert.NotEqual(0, await bob.WaitForExitAsync());
        Assert.Contains("No such code number here", bob.Stderr);
        Assert.DoesNotContain(bob.Events, e => SecretChatProcess.Kind(e) == "connected");
    }

    [Fact]
    public async Task P2p_TypoInTheCode_IsCaughtBeforeAnythingIsSent()
    {
        await using var bob = SecretChatProcess.Start("p2p", "7-wyoming-zulo", "--signal", "127.0.0.1:9", "--json");
        Assert.Equal(2, await bob.WaitForExitAsync());
        Assert.Contains("word 2, 'zulo', is not in the word list: did you mean 'zulu'?", bob.Stderr);
        Assert.Contains("Nothing was sent.", bob.Stderr);
    }

    [Fact]
    public async Task Listen_CodeWithRsa_IsRefusedWithTheSentence()
    {
        await using var bob = SecretChatProcess.Start("listen", "--tcp", "127.0.0.1:0", "--code", "--encryption", "rsa", "--json");
        Assert.Equal(2, await bob.WaitForExitAsync());
        Assert.Contains("Pairing with a code needs the noise module", bob.Stderr);
    }

    [Fact]
    public async Task ListenAndConnect_CodeShownByTheListener_PairsVerifiedByCode()
    {
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(["listen", "--tcp", "127.0.0.1:0", "--code", "--code-words", "3", "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        var code = (await bob.WaitForEventAsync("code")).GetProperty("code").GetString()!;
        Assert.Matches(@"^[a-z]+-[a-z]+-[a-z]+$", code);
        await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--code", code.ToUpperInvariant(), "--name", "alice", "--json", .. home.IdentityArgs("alice")], null);
        Assert.Equal("code", (await alice.WaitForEventAsync("connected")).GetProperty("verified").GetString());
        Assert.Equal("code", (await bob.WaitForEventAsync("connected")).GetProperty("verified").GetString());
        await alice.WriteLinesAsync("over tcp, by code");
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["over tcp, by code"], bob.TextsFrom("alice"));
    }

    private static async Task<string> ServerAsync(SecretChatProcess signal)
    {
        var listening = await signal.WaitForLineAsync(l => l.StartsWith("signaling server listening on udp 127.0.0.1:", StringComparison.Ordinal));
        return listening.Split(' ')[5];
    }
}
