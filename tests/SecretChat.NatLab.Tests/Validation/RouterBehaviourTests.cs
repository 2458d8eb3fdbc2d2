using System.Net;
using System.Net.Sockets;
using System.Text;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Validation;

/// <summary>The lab's routers behave like home routers: they drop what nobody asked for, and map ports as their flavour says.</summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "natlab")]
public sealed class RouterBehaviourTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = Timeouts.Default;

    [LabFact]
    public async Task Router_UnsolicitedDatagramFromWan_IsDropped()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var router = lab.Alice.Router!;
        var service = await lab.OpenUdpSocketAsync(router, new IPEndPoint(IPAddress.Any, 9999));
        var stranger = await lab.OpenUdpSocketAsync(lab.Internet);
        var neighbour = await lab.OpenUdpSocketAsync(lab.Alice);
        var before = await lab.PacketsMatchedAsync(router, RouterRule.UnsolicitedToRouter);

        await stranger.SendToAsync("from the WAN"u8.ToArray(), new IPEndPoint(router.Address, 9999));
        await neighbour.SendToAsync("from the LAN"u8.ToArray(), new IPEndPoint(router.LanAddress, 9999));

        // The LAN datagram arrives; the WAN one is counted by the drop rule and never arrives.
        Assert.Equal("from the LAN", await UdpEcho.ReceiveTextAsync(service, s_timeout));
        var dropped = await lab.WaitForPacketsMatchedAsync(router, RouterRule.UnsolicitedToRouter, before + 1);
        Assert.Equal(0, service.Available);
        output.WriteLine($"{router.Name} dropped {dropped - before} unsolicited datagram(s) to its WAN address {router.Address}");
    }

    [LabFact]
    public async Task Router_DatagramFromAnotherPortOfTheSameServer_IsDropped()
    {
        // Linux conntrack filters by address and port: only the endpoint alice wrote to may answer.
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var router = lab.Alice.Router!;
        await using var echo = new UdpEcho(await lab.OpenUdpSocketAsync(lab.Internet, 7001));
        var otherPort = await lab.OpenUdpSocketAsync(lab.Internet, 7002);
        var alice = await lab.OpenUdpSocketAsync(lab.Alice, 40000);

        var mapped = await UdpEcho.MappedEndPointAsync(alice, new IPEndPoint(lab.Internet.Address, 7001), s_timeout);
        Assert.Equal(router.Address, mapped.Address);
        var before = await lab.PacketsMatchedAsync(router, RouterRule.UnsolicitedToRouter);

        await otherPort.SendToAsync("from another port"u8.ToArray(), mapped);
        var dropped = await lab.WaitForPacketsMatchedAsync(router, RouterRule.UnsolicitedToRouter, before + 1);
        var again = await UdpEcho.MappedEndPointAsync(alice, new IPEndPoint(lab.Internet.Address, 7001), s_timeout);

        Assert.Equal(mapped, again);
        Assert.Equal(0, alice.Available);
        output.WriteLine($"alice is mapped to {mapped}; a datagram to it from {lab.Internet.Address}:7002 was dropped ({dropped - before})");
    }

    [LabFact]
    public async Task ConeRouter_OneSocket_KeepsItsPortForEveryDestination()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var mapped = await MappedEndPointsAsync(lab, lab.Alice, localPort: 40000);

        Assert.All(mapped, m => Assert.Equal(new IPEndPoint(lab.Alice.Router!.Address, 40000), m));
    }

    [LabFact]
    public async Task SymmetricRouter_OneSocket_GetsAPortPerDestination()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SymmetricToSymmetric, output);
        var mapped = await MappedEndPointsAsync(lab, lab.Alice, localPort: 40000);

        Assert.All(mapped, m => Assert.Equal(lab.Alice.Router!.Address, m.Address));
        Assert.Equal(mapped.Count, mapped.Select(m => m.Port).Distinct().Count());
        output.WriteLine(await lab.MappingsAsync(lab.Alice.Router!));
    }

    [LabFact]
    public async Task Router_MappingsFlushed_ForgetsTheFlow()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var router = lab.Alice.Router!;
        await using var echo = new UdpEcho(await lab.OpenUdpSocketAsync(lab.Internet, 7001));
        var alice = await lab.OpenUdpSocketAsync(lab.Alice, 40000);
        await UdpEcho.MappedEndPointAsync(alice, new IPEndPoint(lab.Internet.Address, 7001), s_timeout);
        Assert.Contains("dport=7001", await lab.MappingsAsync(router), StringComparison.Ordinal);

        await lab.FlushMappingsAsync(router);

        Assert.DoesNotContain("dport=7001", await lab.MappingsAsync(router), StringComparison.Ordinal);
    }

    [LabFact]
    public async Task SameLan_TwoHosts_ReachEachOtherWithoutNat()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.SameLan, output);
        await using var echo = new UdpEcho(await lab.OpenUdpSocketAsync(lab.Bob, 7001));
        var alice = await lab.OpenUdpSocketAsync(lab.Alice, 40000);

        var seen = await UdpEcho.MappedEndPointAsync(alice, new IPEndPoint(lab.Bob.Address, 7001), s_timeout);

        Assert.Equal(new IPEndPoint(lab.Alice.Address, 40000), seen);
    }

    [LabFact]
    public async Task Lab_Disposed_LeavesNoNamespace()
    {
        var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var process = lab.StartSecretChat("listener", lab.Internet, "listen", "--udp", "203.0.113.1:5000", "--json", "--encryption", "pseudo");
        await process.WaitForEventAsync("listening");
        Assert.Contains($"sclab-{lab.Id}-", await NamespacesAsync(), StringComparison.Ordinal);

        await lab.DisposeAsync();

        Assert.DoesNotContain($"sclab-{lab.Id}-", await NamespacesAsync(), StringComparison.Ordinal);
        Assert.True(process.HasExited);
    }

    [LabFact]
    public async Task Sweep_LabOfAProcessThatHasGone_IsRemoved()
    {
        // A lab left by a killed test run: its owner is a process that has exited.
        var gone = await LabCommand.RunAsync("bash", "-c", "echo $$");
        var owner = gone.EnsureSuccess().Stdout.Trim();
        var id = "s" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        (await LabCommand.RunAsync("bash", LabEnvironment.Script, "up", "--id", id, "--owner", owner)).EnsureSuccess();
        try
        {
            Assert.Contains($"sclab-{id}-", await NamespacesAsync(), StringComparison.Ordinal);

            (await LabCommand.RunAsync("bash", LabEnvironment.Script, "sweep")).EnsureSuccess();

            Assert.DoesNotContain($"sclab-{id}-", await NamespacesAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await LabCommand.RunAsync("bash", LabEnvironment.Script, "down", id);
        }
    }

    // The mapped endpoint one socket of the host gets towards three destinations (two ports, two addresses).
    private async Task<IReadOnlyList<IPEndPoint>> MappedEndPointsAsync(Lab lab, LabHost host, int localPort)
    {
        var internet = lab.Internet.Address;
        var wanSide = IPAddress.Parse("198.51.100.1"); // the internet's side of ra's WAN link
        IPEndPoint[] destinations = [new(internet, 7001), new(internet, 7002), new(wanSide, 7001)];
        var echoes = new List<UdpEcho>();
        try
        {
            foreach (var destination in destinations)
                echoes.Add(new UdpEcho(await lab.OpenUdpSocketAsync(lab.Internet, destination)));
            var client = await lab.OpenUdpSocketAsync(host, localPort);
            List<IPEndPoint> mapped = [];
            foreach (var destination in destinations)
            {
                var seen = await UdpEcho.MappedEndPointAsync(client, destination, s_timeout);
                output.WriteLine($"{host.Name} {host.Address}:{localPort} -> {destination}: seen as {seen}");
                mapped.Add(seen);
            }
            return mapped;
        }
        finally
        {
            foreach (var echo in echoes)
                await echo.DisposeAsync();
        }
    }

    private static async Task<string> NamespacesAsync() => (await LabCommand.RunAsync("ip", "netns", "list")).EnsureSuccess().Stdout;
}
