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
    public void Verdict_MappedEqualsPublicLocal_IsNoNat()
    {
        var local = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 40000);
        var report = NetcheckReport.Decide(local, [Probe(ServerA, local.ToString()), Probe(ServerB, local.ToString())]);

        Assert.Equal(NatMapping.None, report.Mapping);
        Assert.Equal("No NAT: your address 203.0.113.9 is public.", report.Verdict);
        Assert.Null(report.MappingNote);
    }

    [Theory]
    [InlineData("192.168.1.5", "private")]
    [InlineData("10.0.0.7", "private")]
    [InlineData("100.64.1.2", "private")]
    [InlineData("127.0.0.1", "loopback")]
    public void Verdict_MappedEqualsPrivateOrLoopbackLocal_IsNeverCalledPublic(string address, string scope)
    {
        var local = new IPEndPoint(IPAddress.Parse(address), 40000);
        var report = NetcheckReport.Decide(local, [Probe(ServerA, local.ToString())]);

        Assert.DoesNotContain("is public", report.Verdict, StringComparison.Ordinal);
        Assert.Contains($"your {scope} address {address}", report.Verdict, StringComparison.Ordinal);
        Assert.Contains("says nothing about your public address", report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_OneServerAnswered_SaysTheMappingNeedsTwo()
    {
        var behindNat = NetcheckReport.Decide(Local, [Probe(ServerA, "203.0.113.5:40000")]);
        var noNat = NetcheckReport.Decide(new IPEndPoint(IPAddress.Loopback, 40000), [Probe(ServerA, "127.0.0.1:40000")]);

        Assert.Equal(NetcheckReport.NeedsTwoServers, behindNat.MappingNote);
        Assert.Equal(NetcheckReport.NeedsTwoServers, noNat.MappingNote);
        Assert.Contains("two STUN servers", NetcheckReport.NeedsTwoServers, StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_NoServerAnswered_SaysWhatIsUnknown()
    {
        var report = NetcheckReport.Decide(Local, [Probe(ServerA, null), Probe(ServerB, null)]);

        Assert.False(report.Answered);
        Assert.Equal(NatMapping.Unknown, report.Mapping);
        Assert.StartsWith("No STUN server answered: your public address and your NAT are unknown.", report.Verdict, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("169.254.3.4", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.0.1", "private")]
    [InlineData("100.64.0.1", "private")]
    [InlineData("fd00::2", "private")]
    [InlineData("::ffff:192.168.0.1", "private")]
    [InlineData("172.32.0.1", "public")]
    [InlineData("8.8.8.8", "public")]
    [InlineData("2001:4860::8888", "public")]
    public void AddressScopes_Of_ClassifiesByRange(string address, string expected) =>
        Assert.Equal(expected, AddressScopes.Name(AddressScopes.Of(IPAddress.Parse(address))));

    [Fact]
    public async Task Netcheck_TwoLoopbackServers_ReportsNoNat()
    {
        await using var a = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using var b = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync($"netcheck --stun {a.LocalEndPoint} --stun {b.LocalEndPoint}"));

        // Loopback is never called public: the servers are on this machine, which says nothing about the internet.
        Assert.DoesNotContain(app.Console.OutLines, l => l.Contains("public.", StringComparison.Ordinal));
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("The STUN servers are on your own network", StringComparison.Ordinal) && l.Contains("loopback address 127.0.0.1", StringComparison.Ordinal));
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("interface     127.0.0.1 (loopback)", StringComparison.Ordinal));
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("local address", StringComparison.Ordinal) && l.Contains("127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("mapping       none (no NAT toward these servers, which are on your own network)", app.Console.OutLines);
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
        // What it learned all the same: the local side, the server's failure, the mapping and a verdict.
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("local address 127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(app.Console.OutLines, l => l.StartsWith("interface     127.0.0.1 (loopback)", StringComparison.Ordinal));
        Assert.Contains($"server 127.0.0.1:{port} did not answer: no STUN answer from 127.0.0.1:{port} within 5.5 s", app.Console.OutLines);
        Assert.Contains("mapping       unknown", app.Console.OutLines);
        Assert.Equal(
            "The STUN server did not answer: your public address and your NAT are unknown. Check the server's address (--stun HOST:PORT) and that UDP to it is not blocked.",
            app.Console.OutLines[^1]);
    }

    [Fact]
    public async Task Netcheck_NoServerAnswersWithJson_IsStillOneObjectWithAVerdict()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var app = new TestApp();

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"netcheck --json --stun 127.0.0.1:{port}"));

        using var json = JsonDocument.Parse(Assert.Single(app.Console.OutLines));
        var root = json.RootElement;
        Assert.Equal("netcheck", root.GetProperty("event").GetString());
        Assert.False(root.GetProperty("answered").GetBoolean());
        Assert.Equal("unknown", root.GetProperty("mapping").GetString());
        Assert.StartsWith("The STUN server did not answer", root.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("interfaces").EnumerateArray(), i => i.GetProperty("address").GetString() == "127.0.0.1" && i.GetProperty("scope").GetString() == "loopback");
        var server = Assert.Single(root.GetProperty("servers").EnumerateArray().ToList());
        Assert.Equal($"127.0.0.1:{port}", server.GetProperty("server").GetString());
        Assert.Equal(JsonValueKind.Null, server.GetProperty("mapped").ValueKind);
        Assert.Equal($"no STUN answer from 127.0.0.1:{port} within 5.5 s", server.GetProperty("error").GetString());
        Assert.Equal($"No STUN answer from 127.0.0.1:{port} within 5.5 s.", app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task Netcheck_OneLoopbackServer_SaysTheMappingNeedsTwoAndNeverPublic()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Success, await app.RunAsync($"netcheck --stun {server.LocalEndPoint}"));

        Assert.Contains($"mapping       none ({NetcheckReport.NeedsTwoServers})", app.Console.OutLines);
        Assert.DoesNotContain(app.Console.OutLines, l => l.Contains("public.", StringComparison.Ordinal));
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
