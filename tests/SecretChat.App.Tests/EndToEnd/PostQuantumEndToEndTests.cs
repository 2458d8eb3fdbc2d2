using System.Net;
using SecretChat.Chat;
using SecretChat.Signaling;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// The post-quantum hybrid as users get it: the default of the built <c>secretchat</c> over TCP, UDP and p2p (loopback),
/// the <c>connected</c> event that says so, and <c>--require-pq</c> refusing a classic peer.
/// </summary>
public class PostQuantumEndToEndTests
{
    /// <summary>A build that does not start handshakes in the hybrid (what an older build does), through its setting.</summary>
    private static readonly Dictionary<string, string> Classic = new() { ["SECRETCHAT_PostQuantum"] = "false" };

    private static readonly Dictionary<string, string> DirectOnly = new() { ["SECRETCHAT_P2p__RelayFallbackSeconds"] = "0" };

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task ListenAndConnect_Defaults_ChatPostQuantumBothWays(string transport)
    {
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null);

        await alice.WriteLinesAsync("hello bob, post-quantum");
        await bob.WriteLinesAsync("hi alice");
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["hello bob, post-quantum"], bob.TextsFrom("alice"));
        Assert.Equal(["hi alice"], alice.TextsFrom("bob"));
        AssertPostQuantum(alice, transport, expected: true);
        AssertPostQuantum(bob, transport, expected: true);
    }

    [Fact]
    public async Task P2p_Defaults_ChatPostQuantumDirectly()
    {
        using var home = new TempDirectory();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint.ToString();
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        await bob.WaitForEventAsync("status");
        await using var alice = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);

        await alice.WriteLinesAsync("hi bob over the punched path");
        await bob.WriteLinesAsync("hi alice");
        alice.CloseInput();
        bob.CloseInput();

        var aliceExit = await alice.WaitForExitAsync();
        var bobExit = await bob.WaitForExitAsync();
        Assert.True(aliceExit == 0 && bobExit == 0, $"alice {aliceExit}: {alice.Stderr}\nbob {bobExit}: {bob.Stderr}");
        Assert.Equal(["hi bob over the punched path"], bob.TextsFrom("alice"));
        Assert.Equal(["hi alice"], alice.TextsFrom("bob"));
        AssertPostQuantum(alice, "udp", expected: true);
        AssertPostQuantum(bob, "udp", expected: true);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Connect_ClassicInitiator_ChatsClassicWithADefaultListener(string transport)
    {
        // Backward behaviour: a peer that does not start in the hybrid still gets its chat, and both sides say it is classic.
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], Classic);

        await alice.WriteLinesAsync("classic hello");
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["classic hello"], bob.TextsFrom("alice"));
        AssertPostQuantum(alice, transport, expected: false);
        AssertPostQuantum(bob, transport, expected: false);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task RequirePq_ClassicPeer_IsRefusedWithOneSentence(string transport)
    {
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--name", "bob", "--require-pq", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], Classic);
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync());
        var refusal = (await bob.WaitForEventAsync("error")).GetProperty("message").GetString();
        // A listener names the refused peer's address first.
        Assert.EndsWith(": " + UserSentences.PeerNotPostQuantum, refusal);
        Assert.DoesNotContain(bob.Events, e => SecretChatProcess.Kind(e) == "message");
    }

    [Fact]
    public async Task RequirePq_PostQuantumPeer_Chats()
    {
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", "--tcp", "127.0.0.1:0", "--name", "bob", "--require-pq", "--json", .. home.IdentityArgs("bob")], null);
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", "--tcp", address, "--name", "alice", "--require-pq", "--json", .. home.IdentityArgs("alice")], null);

        await alice.WriteLinesAsync("both required it");
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["both required it"], bob.TextsFrom("alice"));
        AssertPostQuantum(bob, "tcp", expected: true);
    }

    private static void AssertPostQuantum(SecretChatProcess process, string transport, bool expected)
    {
        var connected = process.Events.Single(e => SecretChatProcess.Kind(e) == "connected");
        Assert.Equal("noise", connected.GetProperty("encryption").GetString());
        Assert.Equal(transport, connected.GetProperty("transport").GetString());
        Assert.Equal(expected, connected.GetProperty("post_quantum").GetBoolean());
        // The protocol name the handshake ran: the hybrid's exactly when post-quantum, under one of noise's two ciphers.
        Assert.Matches(
            expected ? @"^Noise_XXhfs_25519\+MLKEM768_(AESGCM|ChaChaPoly)_SHA256$" : "^Noise_XX_25519_(AESGCM|ChaChaPoly)_SHA256$",
            connected.GetProperty("cipher").GetString());
    }
}
