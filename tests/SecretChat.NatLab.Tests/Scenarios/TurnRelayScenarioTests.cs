using System.Net;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 18's TURN scenarios: coturn runs on the lab's internet beside <c>secretchat signal --turn</c>, which hands the
/// peers its credentials. Peers that cannot punch through relay through coturn (path <c>relay</c>, their peer at a
/// relayed address of coturn's), and move to the direct path once one opens, as on the built-in relay. Run only these
/// with <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=turn</c>.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "turn")]
public sealed class TurnRelayScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new("sclab-turn-");

    [LabFact]
    public async Task P2p_SymmetricNatsOnBothSidesWithTurn_ChatThroughCoturnInOrder()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        await using var turn = await LabTurnServer.StartAsync(lab, _home);
        var (alice, bob) = await StartPeersAsync(lab, turn);

        var atAlice = await Conversation.ConnectedAsync(alice, output);
        var atBob = await Conversation.ConnectedAsync(bob, output);
        Assert.Equal(("relay", "relay"), (atAlice.Path, atBob.Path));
        AssertThroughTurn(turn, atAlice);
        AssertThroughTurn(turn, atBob);

        var aliceLines = Conversation.Lines("alice", 20);
        var bobLines = Conversation.Lines("bob", 20);
        await alice.WriteLinesAsync(aliceLines);
        await bob.WriteLinesAsync(bobLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
        Assert.DoesNotContain("TURN server at", alice.Transcript() + bob.Transcript(), StringComparison.Ordinal); // no refusal, no loss
    }

    [LabFact]
    public async Task P2p_DirectPathOpensWhileOnTurn_BothSidesUpgradeWithoutLosingAMessage()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        await using var turn = await LabTurnServer.StartAsync(lab, _home);
        // The internet drops everything between the two routers: only the relays work at first.
        await BlockDirectAsync(lab, block: true);
        var (alice, bob) = await StartPeersAsync(lab, turn);
        var atAlice = await Conversation.ConnectedAsync(alice, output);
        var atBob = await Conversation.ConnectedAsync(bob, output);
        Assert.Equal(("relay", "relay"), (atAlice.Path, atBob.Path));
        AssertThroughTurn(turn, atAlice);
        AssertThroughTurn(turn, atBob);
        var aliceLines = Conversation.Lines("alice", 20);
        var bobLines = Conversation.Lines("bob", 20);
        await alice.WriteLinesAsync(aliceLines.Take(10));
        await bob.WriteLinesAsync(bobLines.Take(10));
        await bob.WaitForMessagesAsync(10);

        await BlockDirectAsync(lab, block: false);
        var aliceMoved = await alice.WaitForEventAsync("path_changed", Timeouts.Process);
        var bobMoved = await bob.WaitForEventAsync("path_changed", Timeouts.Process);
        output.WriteLine($"alice {aliceMoved.GetRawText()}, bob {bobMoved.GetRawText()}");
        Assert.Equal("direct", aliceMoved.GetProperty("path").GetString());
        Assert.Equal("direct", bobMoved.GetProperty("path").GetString());
        // The relay a dead direct path would fall back to is still coturn.
        Assert.Equal($"TURN at {turn.EndPoint}", aliceMoved.GetProperty("relay_kind").GetString());

        await alice.WriteLinesAsync(aliceLines.Skip(10));
        await bob.WriteLinesAsync(bobLines.Skip(10));
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    [LabFact]
    public async Task P2p_TurnRefusesTheCredentials_PeersAreToldAndChatThroughTheSignalingServer()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        await using var turn = await LabTurnServer.StartAsync(lab, _home);
        var wrongSecret = _home.File("wrong.secret");
        await File.WriteAllTextAsync(wrongSecret, "not-the-turn-servers-secret\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(wrongSecret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (alice, bob) = await StartPeersAsync(lab, turn, wrongSecret);

        var atAlice = await Conversation.ConnectedAsync(alice, output);
        var atBob = await Conversation.ConnectedAsync(bob, output);
        Assert.Equal(("relay", "relay"), (atAlice.Path, atBob.Path));
        Assert.Equal(lab.SignalEndPoint.ToString(), atAlice.Remote);
        Assert.Equal(lab.SignalEndPoint.ToString(), atBob.Remote);
        // The refusal is known once the allocation fails: before the peer's Hello makes the session connected, or after.
        // Before, it is already in the output read up to the connected event; after, it is the next error to come.
        var told = alice.Events.Where(e => SecretChatProcess.Kind(e) == "error").ToList() is [var early, ..]
            ? early
            : await alice.WaitForEventAsync("error", Timeouts.Process);
        output.WriteLine($"alice was told: {told.GetRawText()}");
        Assert.Equal(
            $"The TURN server at {turn.EndPoint} refused the credentials: wrong username or password: check --turn-secret-file matches the server's static-auth-secret; relaying through the signaling server instead.",
            told.GetProperty("message").GetString());

        var aliceLines = Conversation.Lines("alice", 10);
        await alice.WriteLinesAsync(aliceLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
    }

    public void Dispose() => _home.Dispose();

    private async Task<(SecretChatProcess Alice, SecretChatProcess Bob)> StartPeersAsync(Lab lab, LabTurnServer turn, string? secretFile = null)
    {
        var run = new PeerToPeerRun(lab, _home);
        await run.StartSignalAsync("--turn", turn.EndPoint.ToString(), "--turn-secret-file", secretFile ?? turn.SecretFile);
        return (run.StartPeer(lab.Alice), run.StartPeer(lab.Bob));
    }

    /// <summary>The session's peer is at one of coturn's relayed addresses, not at the signaling server's relay.</summary>
    private void AssertThroughTurn(LabTurnServer turn, PeerConnection connection) =>
        Assert.True(IPEndPoint.TryParse(connection.Remote, out var remote) && turn.IsRelayedAddress(remote),
            $"{connection}: not a relayed address of coturn at {turn.EndPoint}\n{turn.Log}");

    /// <summary>Drops (or stops dropping) every datagram the internet would forward between the two routers.</summary>
    private static async Task BlockDirectAsync(Lab lab, bool block)
    {
        var a = lab.Alice.Router!.Address.ToString();
        var b = lab.Bob.Router!.Address.ToString();
        foreach (var (from, to) in new[] { (a, b), (b, a) })
            (await lab.ExecAsync(lab.Internet, "iptables", "-w", "5", block ? "-I" : "-D", "FORWARD", "-s", from, "-d", to, "-j", "DROP")).EnsureSuccess();
    }
}
