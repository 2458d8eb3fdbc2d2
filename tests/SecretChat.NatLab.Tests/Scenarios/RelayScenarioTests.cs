using System.Diagnostics;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 7's scenarios: the session always connects (through the signaling server's relay when punching
/// cannot work), says which path it is on, moves to the direct path as soon as one works and back to the
/// relay when direct dies, and loses no message in any move. Run only these with
/// <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=relay</c>.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "relay")]
public sealed class RelayScenarioTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan UpgradeTimeout = Timeouts.Process;
    private readonly TempDirectory _home = new("sclab-relay-");

    [LabFact]
    public async Task P2p_SymmetricNatsOnBothSides_ChatOverTheRelayInOrder()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        var (alice, bob) = await new PeerToPeerRun(lab, _home).StartPeersAsync();

        var atAlice = await Conversation.ConnectedAsync(alice, output);
        var atBob = await Conversation.ConnectedAsync(bob, output);
        Assert.Equal(("relay", "relay"), (atAlice.Path, atBob.Path));

        var clock = Stopwatch.StartNew();
        await alice.WriteLinesAsync("first");
        await bob.WaitForMessagesAsync(1);
        output.WriteLine($"time to first message over the relay: {clock.ElapsedMilliseconds} ms " +
            $"({(atAlice.TimeToConnect + clock.Elapsed).TotalMilliseconds:0} ms after alice started)");

        var aliceLines = Conversation.Lines("alice", 20, from: 2);
        var bobLines = Conversation.Lines("bob", 20);
        await alice.WriteLinesAsync(aliceLines);
        await bob.WriteLinesAsync(bobLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, ["first", .. aliceLines], output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    [LabFact]
    public async Task P2p_DirectPathOpensWhileRelayed_BothSidesUpgradeWithoutLosingAMessage()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        // The internet drops everything between the two routers: only the relay works at first.
        await BlockDirectAsync(lab, block: true);
        var (alice, bob) = await new PeerToPeerRun(lab, _home).StartPeersAsync();
        Assert.Equal("relay", (await Conversation.ConnectedAsync(alice, output)).Path);
        Assert.Equal("relay", (await Conversation.ConnectedAsync(bob, output)).Path);
        var aliceLines = Conversation.Lines("alice", 20);
        var bobLines = Conversation.Lines("bob", 20);
        await alice.WriteLinesAsync(aliceLines.Take(10));
        await bob.WriteLinesAsync(bobLines.Take(10));
        await bob.WaitForMessagesAsync(10);

        await BlockDirectAsync(lab, block: false);
        var clock = Stopwatch.StartNew();
        var aliceMoved = await alice.WaitForEventAsync("path_changed", UpgradeTimeout);
        var bobMoved = await bob.WaitForEventAsync("path_changed", UpgradeTimeout);
        output.WriteLine($"upgraded {clock.ElapsedMilliseconds} ms after the direct path opened: alice {aliceMoved.GetRawText()}, bob {bobMoved.GetRawText()}");
        Assert.Equal("direct", aliceMoved.GetProperty("path").GetString());
        Assert.Equal("direct", bobMoved.GetProperty("path").GetString());
        Assert.True(aliceMoved.GetProperty("rtt_ms").GetDouble() > 0, aliceMoved.GetRawText()); // the round trip, measured

        await alice.WriteLinesAsync(aliceLines.Skip(10));
        await bob.WriteLinesAsync(bobLines.Skip(10));
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    [LabFact]
    public async Task P2p_DirectPathDies_SessionMovesToTheRelayWithoutLosingAMessage()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var (alice, bob) = await new PeerToPeerRun(lab, _home).StartPeersAsync();
        await Conversation.DirectAsync(alice, output);
        await Conversation.DirectAsync(bob, output);
        var aliceLines = Conversation.Lines("alice", 10);
        await alice.WriteLinesAsync(aliceLines.Take(5));
        await bob.WaitForMessagesAsync(5);

        await BlockDirectAsync(lab, block: true);
        await alice.WriteLinesAsync(aliceLines.Skip(5));
        var moved = await alice.WaitForEventAsync("path_changed", UpgradeTimeout);
        output.WriteLine($"alice: {moved.GetRawText()}");
        Assert.Equal("relay", moved.GetProperty("path").GetString());

        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
    }

    [LabFact]
    public async Task P2p_RelayGoesAwayWhileDirect_SessionContinues()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var run = new PeerToPeerRun(lab, _home);
        var (alice, bob) = await run.StartPeersAsync();
        await Conversation.DirectAsync(alice, output);
        await Conversation.DirectAsync(bob, output);

        await run.Signal!.DisposeAsync();
        var aliceLines = Conversation.Lines("alice", 10);
        await alice.WriteLinesAsync(aliceLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
    }

    [LabFact]
    public async Task P2p_RelayGoesAwayWithNoDirectPath_EndsWithAClearReason()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        var config = _home.WriteFile("quick-dead-peer.json", """{ "Udp": { "KeepAliveSeconds": 2, "DeadPeerSeconds": 6 } }""");
        var run = new PeerToPeerRun(lab, _home);
        var (alice, bob) = await run.StartPeersAsync("--config", config);
        Assert.Equal("relay", (await Conversation.ConnectedAsync(alice, output)).Path);
        await Conversation.ConnectedAsync(bob, output);

        await run.Signal!.DisposeAsync();
        var ended = await alice.WaitForEventAsync("disconnected", Timeouts.Process);
        var reason = ended.GetProperty("reason").GetString()!;
        output.WriteLine($"alice: {reason}");
        Assert.False(ended.GetProperty("clean").GetBoolean());
        Assert.Contains("relay", reason, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(0, await alice.WaitForExitAsync());
    }

    public void Dispose() => _home.Dispose();

    /// <summary>Drops (or stops dropping) every datagram the internet would forward between the two routers.</summary>
    private static async Task BlockDirectAsync(Lab lab, bool block)
    {
        var a = lab.Alice.Router!.Address.ToString();
        var b = lab.Bob.Router!.Address.ToString();
        foreach (var (from, to) in new[] { (a, b), (b, a) })
            (await lab.ExecAsync(lab.Internet, "iptables", "-w", "5", block ? "-I" : "-D", "FORWARD", "-s", from, "-d", to, "-j", "DROP")).EnsureSuccess();
    }
}
