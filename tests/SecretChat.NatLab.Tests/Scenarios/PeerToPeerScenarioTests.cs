using System.Net;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 6's scenarios: <c>secretchat signal</c> on the internet, <c>secretchat p2p</c> on alice and bob, scripted
/// through stdin and read through <c>--json</c>. Each reports whether it connected, over which path, how long it
/// took, and checks that every message arrived in order. Run only these with
/// <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=p2p</c>.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "p2p")]
public sealed class PeerToPeerScenarioTests(ITestOutputHelper output) : IDisposable
{
    private const int PeerTimeoutSeconds = 30;
    private readonly TempDirectory _home = new("sclab-p2p-");

    [LabFact]
    public async Task Signal_StunBindingFromBehindCone_ReportsTheRoutersAddress()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        await new PeerToPeerRun(lab, _home, PeerTimeoutSeconds).StartSignalAsync();
        var socket = await lab.OpenUdpSocketAsync(lab.Alice, 40000);

        var mapped = await StunProbe.BindingAsync(socket, lab.SignalEndPoint, Timeouts.Startup);

        Assert.Equal(new IPEndPoint(lab.Alice.Router!.Address, 40000), mapped);
    }

    [LabFact]
    public Task P2p_ConeToCone_ConnectsDirectlyAndDeliversBothWays() => DirectChatAsync(LabLayout.ConeToCone);

    [LabFact]
    public Task P2p_ConeToPublic_ConnectsDirectlyAndDeliversBothWays() => DirectChatAsync(LabLayout.ConeToPublic);

    [LabFact]
    public Task P2p_SameLan_ConnectsDirectlyAndDeliversBothWays() => DirectChatAsync(LabLayout.SameLan);

    [LabFact]
    public Task P2p_ConeToConeWithTenPercentLossEachWay_ConnectsAndDeliversEverything() =>
        DirectChatAsync(LabLayout.ConeToCone.WithLoss(0.1), messages: 30);

    [LabFact]
    public Task P2p_ConeToConeWithTenPercentLossEachWay_HybridHandshakeInFragments_ConnectsPostQuantum() =>
        // The post-quantum hybrid (the default) sends its first two handshake messages in two datagrams each: a lost
        // fragment costs the whole flight's retransmission, which the 10 s handshake must absorb.
        DirectChatAsync(LabLayout.ConeToCone.WithLoss(0.1), messages: 30, postQuantum: true);

    [LabFact]
    public async Task P2p_SymmetricToSymmetric_ConnectsOverTheRelayAndDeliversBothWays()
    {
        // Endpoint-dependent mapping on both sides defeats hole punching: the session must go through the relay.
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        var (alice, bob) = await StartPeersAsync(lab);

        var atAlice = await Conversation.ConnectedAsync(alice, output);
        var atBob = await Conversation.ConnectedAsync(bob, output);

        Assert.Equal(("bob", "udp", "relay"), (atAlice.Peer, atAlice.Transport, atAlice.Path));
        Assert.Equal(("alice", "udp", "relay"), (atBob.Peer, atBob.Transport, atBob.Path));
        await ChatAsync(alice, bob, messages: 5);
    }

    [LabFact]
    public Task P2p_SymmetricToPublic_GoesDirectAndDeliversBothWays() => SymmetricAndPublicAsync(LabLayout.SymmetricToPublic);

    [LabFact]
    public Task P2p_PublicToSymmetric_GoesDirectAndDeliversBothWays() => SymmetricAndPublicAsync(LabLayout.PublicToSymmetric);

    [LabFact]
    public async Task P2p_MappingsFlushedMidChat_RecoverWithoutLosingAMessage()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var (alice, bob) = await StartPeersAsync(lab);
        await Conversation.ConnectedAsync(alice, output);
        await Conversation.ConnectedAsync(bob, output);
        var aliceLines = Conversation.Lines("alice", 10);
        var bobLines = Conversation.Lines("bob", 10);

        await alice.WriteLinesAsync(aliceLines.Take(5));
        await bob.WriteLinesAsync(bobLines.Take(5));
        await bob.WaitForMessagesAsync(5);
        await alice.WaitForMessagesAsync(5);
        foreach (var router in lab.Routers)
            await lab.FlushMappingsAsync(router);
        await alice.WriteLinesAsync(aliceLines.Skip(5));
        await bob.WriteLinesAsync(bobLines.Skip(5));
        await Conversation.FinishAsync(output, alice, bob);

        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    [LabFact]
    public async Task P2p_RouterMovesToANewPortMidChat_SessionFollowsWithoutLosingAMessage()
    {
        // Alice behind a cone router, bob public: the direct path runs from the router's mapped port to bob.
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToPublic, output);
        var router = lab.Alice.Router!;
        var (alice, bob) = await StartPeersAsync(lab);
        await Conversation.DirectAsync(alice, output);
        var before = IPEndPoint.Parse((await Conversation.DirectAsync(bob, output)).Remote);
        Assert.Equal(router.Address, before.Address);
        var aliceLines = Conversation.Lines("alice", 10);
        var bobLines = Conversation.Lines("bob", 10);
        await alice.WriteLinesAsync(aliceLines.Take(5));
        await bob.WriteLinesAsync(bobLines.Take(5));
        await bob.WaitForMessagesAsync(5);
        await alice.WaitForMessagesAsync(5);

        // The router forgets alice's mapping and maps her next datagram to a port in 20000-20999; the ephemeral port
        // she had kept (Linux: 32768-60999) cannot be one of them.
        await lab.RebindUdpPortsAsync(router, 20000, 20999);
        await alice.WriteLinesAsync(aliceLines.Skip(5));
        var moved = await bob.WaitForEventAsync("path_changed", Timeouts.Process);
        output.WriteLine($"bob: {moved.GetRawText()}");
        await bob.WriteLinesAsync(bobLines.Skip(5));
        await Conversation.FinishAsync(output, alice, bob);

        var after = IPEndPoint.Parse(moved.GetProperty("remote").GetString()!);
        Assert.Equal("direct", moved.GetProperty("path").GetString());
        Assert.Equal(router.Address, after.Address);
        Assert.InRange(after.Port, 20000, 20999);
        Assert.NotEqual(before.Port, after.Port);
        Assert.Contains("NAT rebinding", moved.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    public void Dispose() => _home.Dispose();

    // Asserts the direct path, so the relay fallback is off (0 = never relay): on a loaded machine a direct handshake
    // slower than the 2 s fallback would otherwise start the session on the relay.
    private async Task DirectChatAsync(LabLayout layout, int messages = 5, bool postQuantum = false)
    {
        await using var lab = await Lab.CreateAsync(layout, output);
        var directOnly = _home.WriteFile("direct-only.json", """{ "P2p": { "RelayFallbackSeconds": 0 } }""");
        var (alice, bob) = await new PeerToPeerRun(lab, _home, PeerTimeoutSeconds).StartPeersAsync("--config", directOnly);

        PeerConnection atAlice, atBob;
        try
        {
            atAlice = await Conversation.ConnectedAsync(alice, output);
            atBob = await Conversation.ConnectedAsync(bob, output);
        }
        catch
        {
            // A punch that never completes is decided by both sides and both routers: show all of it.
            output.WriteLine($"{alice.Transcript()}\n{bob.Transcript()}\n--- lab:\n{await lab.DescribeAsync()}");
            throw;
        }

        Assert.Equal(("bob", "udp", "direct"), (atAlice.Peer, atAlice.Transport, atAlice.Path));
        Assert.Equal(("alice", "udp", "direct"), (atBob.Peer, atBob.Transport, atBob.Path));
        if (postQuantum)
        {
            foreach (var peer in new[] { alice, bob })
                Assert.True(peer.Events.Single(e => SecretChatProcess.Kind(e) == "connected").GetProperty("post_quantum").GetBoolean(), $"{peer.Name} is not post-quantum");
        }
        await ChatAsync(alice, bob, messages);
    }

    // The symmetric side reaches the public one from a port nobody announced (peer-reflexive). When it initiates, its
    // hello from there is the direct path from the start; when the public side initiates, its hellos go to announced
    // addresses the symmetric router drops, so the session starts on the relay and the symmetric side's authenticated
    // path probe from that port moves both sides to direct. Either way the test needs both directions direct.
    private async Task SymmetricAndPublicAsync(LabLayout layout)
    {
        await using var lab = await Lab.CreateAsync(layout, output);
        var (alice, bob) = await StartPeersAsync(lab);

        var atAlice = await Conversation.DirectAsync(alice, output);
        var atBob = await Conversation.DirectAsync(bob, output);

        Assert.Equal(("bob", "udp", "direct"), (atAlice.Peer, atAlice.Transport, atAlice.Path));
        Assert.Equal(("alice", "udp", "direct"), (atBob.Peer, atBob.Transport, atBob.Path));
        var symmetric = layout.Alice == Site.Symmetric ? lab.Alice : lab.Bob;
        var atPublic = layout.Alice == Site.Symmetric ? atBob : atAlice;
        // The public side talks to the symmetric router's address, at the port it opened toward the public side.
        Assert.Equal(symmetric.Router!.Address, IPEndPoint.Parse(atPublic.Remote).Address);
        await ChatAsync(alice, bob, messages: 5);
    }

    private async Task ChatAsync(SecretChatProcess alice, SecretChatProcess bob, int messages)
    {
        var aliceLines = Conversation.Lines("alice", messages);
        var bobLines = Conversation.Lines("bob", messages);
        await alice.WriteLinesAsync(aliceLines);
        await bob.WriteLinesAsync(bobLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
    }

    private Task<(SecretChatProcess Alice, SecretChatProcess Bob)> StartPeersAsync(Lab lab) =>
        new PeerToPeerRun(lab, _home, PeerTimeoutSeconds).StartPeersAsync();
}
