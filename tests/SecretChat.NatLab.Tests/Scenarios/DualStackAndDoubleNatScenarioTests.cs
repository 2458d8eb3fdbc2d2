using System.Net;
using System.Net.Sockets;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 19's sites: IPv6-only and dual-stack hosts (2001:db8::/32 inside the lab, no NAT, stateful firewalls), a peer
/// behind two NATs (a carrier-grade NAT in front of its home router), and two peers behind one router that does not
/// hairpin, on ports that cannot reach each other. Each runs once and prints the path and the time it took.
/// Run only these with <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=p2p-ip</c>.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "p2p-ip")]
public sealed class DualStackAndDoubleNatScenarioTests(ITestOutputHelper output) : IDisposable
{
    private const int PeerTimeoutSeconds = 30;
    private readonly TempDirectory _home = new("sclab-p2p6-");

    [LabFact]
    public async Task P2p_IPv6OnlyConeToCone_ConnectsDirectlyOverIPv6()
    {
        var (atAlice, atBob) = await ConnectAndChatAsync(new LabLayout(Site.Cone, Site.Cone, Ip: LabIp.V6Only), directOnly: true);

        Assert.Equal(("direct", "direct"), (atAlice.Path, atBob.Path));
        Assert.Equal(IPAddress.Parse("2001:db8:b2::10"), IPEndPoint.Parse(atAlice.Remote).Address);
        Assert.Equal(IPAddress.Parse("2001:db8:a1::10"), IPEndPoint.Parse(atBob.Remote).Address);
    }

    [LabFact]
    public async Task P2p_DualStackSymmetricToSymmetric_GoesDirectOverIPv6WhereIPv4WouldRelay()
    {
        // Over IPv4 both NATs change ports per destination and the pair relays (PeerToPeerScenarioTests); over IPv6
        // there is no NAT, only the firewalls, which both peers' probes open: the path is direct, and it is IPv6.
        var (atAlice, atBob) = await ConnectAndChatAsync(new LabLayout(Site.Symmetric, Site.Symmetric, Ip: LabIp.DualStack), directOnly: true);

        Assert.Equal(("direct", "direct"), (atAlice.Path, atBob.Path));
        Assert.Equal(AddressFamily.InterNetworkV6, IPEndPoint.Parse(atAlice.Remote).AddressFamily);
        Assert.Equal(AddressFamily.InterNetworkV6, IPEndPoint.Parse(atBob.Remote).AddressFamily);
    }

    [LabFact]
    public async Task P2p_DualStackConeToCone_ConnectsDirectly()
    {
        // Both families work here (cone NATs for IPv4): the path is direct over whichever handshake completes first.
        var (atAlice, atBob) = await ConnectAndChatAsync(new LabLayout(Site.Cone, Site.Cone, Ip: LabIp.DualStack), directOnly: true);

        Assert.Equal(("direct", "direct"), (atAlice.Path, atBob.Path));
        output.WriteLine($"dual-stack cone/cone went direct over {(IPEndPoint.Parse(atAlice.Remote).AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")}");
    }

    [LabFact]
    public async Task P2p_DoubleNatToCone_Connects()
    {
        // Alice behind a carrier-grade NAT and her home router, both endpoint-independent: the punch can go through
        // both; the relay stays the fallback, so the pair connects either way, and never hangs.
        var (atAlice, atBob) = await ConnectAndChatAsync(new LabLayout(Site.CarrierGradeNat, Site.Cone), directOnly: false);

        Assert.Contains(atAlice.Path, new[] { "direct", "relay" });
        Assert.Equal(atAlice.Path, atBob.Path);
        output.WriteLine($"double NAT to cone: {atAlice.Path}");
    }

    [LabFact]
    public async Task P2p_TwoPeersBehindARouterThatDoesNotHairpinOnIsolatedPorts_ConnectOverTheRelay()
    {
        // No LAN path (isolated ports) and no hairpin: no direct path exists, so the relay carries the session.
        var (atAlice, atBob) = await ConnectAndChatAsync(new LabLayout(Site.Cone, Site.IsolatedLan), directOnly: false);

        Assert.Equal(("relay", "relay"), (atAlice.Path, atBob.Path));
    }

    [LabFact]
    public async Task Router_DoesNotHairpin_ADatagramToItsOwnWanMappingFromItsLanIsLost()
    {
        // Bob on alice's LAN maps a port at the router (by asking a server on the internet); alice writes to that mapping
        // from the LAN. A hairpinning router would loop it back to bob; the lab's routers (like many home routers) do not.
        await using var lab = await Lab.CreateAsync(LabLayout.SameLan, output);
        await using var echo = new Validation.UdpEcho(await lab.OpenUdpSocketAsync(lab.Internet, 7001));
        var bob = await lab.OpenUdpSocketAsync(lab.Bob, 40000);
        var alice = await lab.OpenUdpSocketAsync(lab.Alice, 40001);
        var bobMapped = await Validation.UdpEcho.MappedEndPointAsync(bob, new IPEndPoint(lab.Internet.Address, 7001), Timeouts.Default);
        Assert.Equal(lab.Alice.Router!.Address, bobMapped.Address);

        await alice.SendToAsync("hairpin?"u8.ToArray(), bobMapped);

        // The router's connection table says where the datagram went: its reply direction names the router itself
        // (nobody translated the destination to bob), where a hairpinning router would name bob.
        var router = lab.Alice.Router!;
        var flows = (await lab.ExecAsync(router, "conntrack", "-L", "-p", "udp", "--orig-src", lab.Alice.Address.ToString(), "--orig-dst", router.Address.ToString())).EnsureSuccess().Stdout;
        output.WriteLine(flows);
        var flow = Assert.Single(flows.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.Contains($"dport={bobMapped.Port} ", StringComparison.Ordinal));
        Assert.Contains($"src={router.Address} dst={lab.Alice.Address} sport={bobMapped.Port} dport=40001", flow, StringComparison.Ordinal);
        Assert.DoesNotContain($"src={lab.Bob.Address}", flow, StringComparison.Ordinal);
        Assert.Equal(0, bob.Available);
    }

    public void Dispose() => _home.Dispose();

    private async Task<(PeerConnection AtAlice, PeerConnection AtBob)> ConnectAndChatAsync(LabLayout layout, bool directOnly)
    {
        await using var lab = await Lab.CreateAsync(layout, output);
        string[] extra = directOnly ? ["--config", _home.WriteFile("direct-only.json", """{ "P2p": { "RelayFallbackSeconds": 0 } }""")] : [];
        var run = new PeerToPeerRun(lab, _home, PeerTimeoutSeconds);
        var (alice, bob) = await run.StartPeersAsync(extra);
        PeerConnection atAlice, atBob;
        try
        {
            atAlice = await Conversation.ConnectedAsync(alice, output);
            atBob = await Conversation.ConnectedAsync(bob, output);
        }
        catch
        {
            output.WriteLine($"{alice.Transcript()}\n{bob.Transcript()}\n--- lab:\n{await lab.DescribeAsync()}");
            throw;
        }

        output.WriteLine($"{layout}: alice {atAlice.Path} to {atAlice.Remote} in {atAlice.TimeToConnect.TotalMilliseconds:0} ms, bob {atBob.Path} to {atBob.Remote} in {atBob.TimeToConnect.TotalMilliseconds:0} ms");
        var aliceLines = Conversation.Lines("alice", 5);
        var bobLines = Conversation.Lines("bob", 5);
        await alice.WriteLinesAsync(aliceLines);
        await bob.WriteLinesAsync(bobLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);
        return (atAlice, atBob);
    }
}
