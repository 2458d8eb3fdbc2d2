using System.Net;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Validation;

/// <summary>
/// The built binaries across the lab before p2p exists: <c>listen --udp</c> on a public address, <c>connect --udp</c>
/// from behind each kind of router. A client behind any NAT reaches a public listener, so all must work.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "natlab")]
public sealed class UdpChatThroughNatTests(ITestOutputHelper output)
{
    private const int ListenPort = 5000;

    // These tests are about the lab; the UDP session's close race is reported, not tested, here.

    public static TheoryData<Site, Site> Layouts => new()
    {
        { Site.Cone, Site.Cone },           // bob's side is unused: the listener is on the internet
        { Site.Symmetric, Site.Symmetric }, // likewise
        { Site.Cone, Site.Public },         // the listener is bob, on a public address
        { Site.Cone, Site.SameLan },        // the listener is bob, on alice's LAN
    };

    [LabTheory]
    [MemberData(nameof(Layouts))]
    public async Task Connect_FromBehindRouter_ChatsBothWaysInOrder(Site alice, Site bob)
    {
        await using var lab = await Lab.CreateAsync(new LabLayout(alice, bob), output);
        var listenerNode = bob is Site.Public or Site.SameLan ? lab.Bob : lab.Internet;
        var (listener, connector) = await StartPairAsync(lab, listenerNode);

        var atConnector = await Conversation.ConnectedAsync(connector, output);
        var atListener = await Conversation.ConnectedAsync(listener, output);
        var bobLines = Conversation.Lines("bob", 5);
        var aliceLines = Conversation.Lines("alice", 5);
        await listener.WriteLinesAsync(bobLines);
        await connector.WriteLinesAsync(aliceLines);
        await Conversation.FinishAsync(output, connector, listener);

        Assert.Equal(("udp", "direct"), (atConnector.Transport, atConnector.Path));
        // Across a router the listener sees the router's WAN address; on one LAN, alice herself.
        var expectedSource = bob == Site.SameLan ? lab.Alice.Address : lab.Alice.Router!.Address;
        Assert.Equal(expectedSource, IPEndPoint.Parse(atListener.Remote).Address);
        Conversation.AssertReceivedInOrder(listener, aliceLines, output);
        Conversation.AssertReceivedInOrder(connector, bobLines, output);
    }

    [LabFact]
    public async Task Connect_ThroughTenPercentLossEachWay_DeliversEverythingInOrder()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToPublic.WithLoss(0.1), output);
        var router = lab.Alice.Router!;
        var (listener, connector) = await StartPairAsync(lab, lab.Bob);
        await Conversation.ConnectedAsync(connector, output);
        await Conversation.ConnectedAsync(listener, output);

        // Enough datagrams that loss surely hits, and one line long enough to be split in fragments.
        string[] aliceLines = [.. Conversation.Lines("alice", 40), "alice long " + new string('a', 4000)];
        string[] bobLines = [.. Conversation.Lines("bob", 40), "bob long " + new string('b', 4000)];
        await listener.WriteLinesAsync(bobLines);
        await connector.WriteLinesAsync(aliceLines);
        await Conversation.FinishAsync(output, connector, listener);

        Conversation.AssertReceivedInOrder(listener, aliceLines, output);
        Conversation.AssertReceivedInOrder(connector, bobLines, output);
        var lostOut = await lab.PacketsMatchedAsync(router, RouterRule.LossOutbound);
        var lostIn = await lab.PacketsMatchedAsync(router, RouterRule.LossInbound);
        output.WriteLine($"{router.Name} dropped {lostOut} datagrams going out and {lostIn} coming in");
        Assert.True(lostOut + lostIn > 0, "The loss rules dropped nothing: the test did not test loss.");
    }

    [LabFact]
    public async Task Connect_MappingFlushedMidChat_DeliversEverythingInOrder()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToPublic, output);
        var (listener, connector) = await StartPairAsync(lab, lab.Bob);
        await Conversation.ConnectedAsync(connector, output);
        await Conversation.ConnectedAsync(listener, output);
        var aliceLines = Conversation.Lines("alice", 10);
        var bobLines = Conversation.Lines("bob", 10);

        await connector.WriteLinesAsync(aliceLines.Take(5));
        await listener.WriteLinesAsync(bobLines.Take(5));
        await listener.WaitForMessagesAsync(5);
        await connector.WaitForMessagesAsync(5);
        await lab.FlushMappingsAsync(lab.Alice.Router!);
        await listener.WriteLinesAsync(bobLines.Skip(5));
        await connector.WriteLinesAsync(aliceLines.Skip(5));
        await Conversation.FinishAsync(output, connector, listener);

        Conversation.AssertReceivedInOrder(listener, aliceLines, output);
        Conversation.AssertReceivedInOrder(connector, bobLines, output);
    }

    // Bob listens (pseudo encryption: these tests are about the network), alice connects once he is listening.
    private static async Task<(SecretChatProcess Listener, SecretChatProcess Connector)> StartPairAsync(Lab lab, LabNode listenerNode)
    {
        var address = new IPEndPoint(listenerNode.Address, ListenPort).ToString();
        var listener = lab.StartSecretChat("bob", listenerNode, "listen", "--udp", address, "--json", "--encryption", "pseudo", "--name", "bob");
        await listener.WaitForEventAsync("listening");
        var connector = lab.StartSecretChat("alice", lab.Alice, "connect", "--udp", address, "--json", "--encryption", "pseudo", "--name", "alice");
        return (listener, connector);
    }
}
