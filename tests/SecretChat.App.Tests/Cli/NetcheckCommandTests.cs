using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Signaling;
using SecretChat.Tests;

namespace SecretChat.App.Tests.Cli;

public class NetcheckCommandTests
{
    private static readonly IPEndPoint Local = new(IPAddress.Parse("192.168.1.5"), 40000);
    private static readonly IPEndPoint ServerA = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint ServerB = new(IPAddress.Parse("192.0.2.1"), 3479);

    private static NetcheckProbe Probe(IPEndPoint server, string? mapped) =>
        new(server.ToString(), server, mapped is null ? null : IPEndPoint.Parse(mapped), mapped is null ? "no answer" : null);

    [Fact]
    public void Verdict_SameMappingTowardTwoServers_IsEndpointIndependent()
    {
        var report = NetcheckReport.Decide(Local, [Probe(ServerA, "203.0.113.5:40000"), Probe(ServerB, "203.0.113.5:40000")]);

        Assert.Equal(NatMapping.EndpointIndependent, report.Mapping);
        Assert.Equal("Your NAT keeps the same public port for every destination: hole punching should work.", report.Verdict);
    }

    [Fact]
    public void Verdict_DifferentPortsTowardTwoServers_IsSymmetric()
    {
        var report = NetcheckReport.Decide(Local, [Probe(ServerA, "203.0.113.5:40000"), Probe(ServerB, "203.0.113.5:40001")]);

        Assert.Equal(NatMapping.EndpointDependent, report.Mapping);
        Assert.Contains("symmetric NAT", report.Verdict);
        Assert.Contains("a relay is needed", report.Verdict);
    }

    [Fact]
    public void Verdict_OneServerOrOneAnswer_SaysTheMappingIsUnknown()
    {
        var one = NetcheckReport.Decide(Local, [Probe(ServerA, "203.0.113.5:40000")]);
        var oneOfTwo = NetcheckReport.Decide(Local, [Probe(ServerA, "203.0.113.5:40000"), Probe(ServerB, null)]);

        Assert.Equal(NatMapping.Unknown, one.Mapping);
        Assert.Equal(NatMapping.Unknown, oneOfTwo.Mapping);
        Assert.Contains("mapping behaviour is unknown", one.Verdict);
    }

    [Fact]
    public void Verdict_MappedEqualsLocal_IsNoNat()
    {
        var report = NetcheckReport.Decide(Local, [Probe(ServerA, Local.ToString())]);

        Assert.Equal(NatMapping.None, report.Mapping);
        Assert.Equal("No NAT: your address is public.", report.Verdict);
    }

    [Fact]
    public async Task Netcheck_TwoLoopbackServers_ReportsNoNat()
    {
        await using var a = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using var b = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync($"netcheck --stun {a.LocalEndPoint} --stun {b.LocalEndPoint}"));

        Assert.Contains("No NAT: your address is public.", app.Console.OutLines);
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("local address", StringComparison.Ordinal) && l.Contains("127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("mapping       none", app.Console.OutLines);
        Assert.Contains(app.Console.OutLines, l => l.StartsWith($"server {a.LocalEndPoint} sees you at 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Netcheck_Json_IsOneObjectWithTheMappedAddresses()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var app = new TestApp();
        app.Environment["SECRETCHAT_Signaling__Server"] = server.LocalEndPoint.ToString();

        Assert.Equal(ExitCodes.Success, await app.RunAsync("netcheck --json"));

        using var json = JsonDocument.Parse(Assert.Single(app.Console.OutLines));
        Assert.Equal("netcheck", json.RootElement.GetProperty("event").GetString());
        Assert.Equal("none", json.RootElement.GetProperty("mapping").GetString());
        var mapped = IPEndPoint.Parse(json.RootElement.GetProperty("servers")[0].GetProperty("mapped").GetString()!);
        Assert.Equal(IPEndPoint.Parse(json.RootElement.GetProperty("local").GetString()!), mapped);
    }

    [Fact]
    public async Task Netcheck_NoServerAnswers_SaysWhoAndHowLongAndExitsOne()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var app = new TestApp();

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"netcheck --stun 127.0.0.1:{port}"));

        Assert.Equal($"No STUN answer from 127.0.0.1:{port} within 5.5 s.", app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task Netcheck_BadServerText_IsAUsageError()
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync("netcheck --stun nowhere"));

        Assert.Contains("'nowhere' is not a STUN server", app.Console.ErrorText);
    }

    [CoturnFact]
    public async Task Netcheck_AgainstCoturnAndOurServer_BothSeeTheSameAddress()
    {
        await using var turnserver = TurnServerProcess.Start();
        await using var ours = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var app = new TestApp();
        // turnserver may still be starting: the retransmissions (0, 0.5, 1.5, 3.5 s) cover that.
        Assert.Equal(ExitCodes.Success, await app.RunAsync($"netcheck --json --stun {turnserver.EndPoint} --stun {ours.LocalEndPoint}"));

        using var json = JsonDocument.Parse(Assert.Single(app.Console.OutLines));
        var servers = json.RootElement.GetProperty("servers").EnumerateArray().ToList();
        Assert.Equal(2, servers.Count);
        Assert.All(servers, s => Assert.Equal(json.RootElement.GetProperty("local").GetString(), s.GetProperty("mapped").GetString()));
        Assert.Equal("none", json.RootElement.GetProperty("mapping").GetString());
    }
}
