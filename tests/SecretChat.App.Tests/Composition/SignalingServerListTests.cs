using System.Net;
using System.Net.Sockets;
using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>--signal and Signaling:Server as a list of nodes (issue 18): parsing, and every address of every name, in order.</summary>
public sealed class SignalingServerListTests
{
    [Theory]
    [InlineData("a.test:3478", new[] { "a.test:3478" })]
    [InlineData("a.test:3478,b.test:3479", new[] { "a.test:3478", "b.test:3479" })]
    [InlineData(" a.test:3478 , [::1]:3478 ,127.0.0.1:1", new[] { "a.test:3478", "[::1]:3478", "127.0.0.1:1" })]
    public void TryParse_CommaSeparatedHostPorts_KeepsTheirOrder(string text, string[] expected)
    {
        Assert.True(SignalingServerList.TryParse(text, out var servers, out var error), error);

        Assert.Equal(expected, servers.Select(s => s.ToString()));
    }

    [Theory]
    [InlineData("", "no signaling server given")]
    [InlineData("a.test:3478,", "an empty entry")]
    [InlineData("a.test:3478,,b.test:3478", "an empty entry")]
    [InlineData("a.test:3478,b.test", "b.test")]
    [InlineData("a.test:0", "a.test:0")]
    [InlineData("a.test:3478,b.test:70000", "70000")]
    public void TryParse_NotAList_SaysWhy(string text, string mentioned)
    {
        Assert.False(SignalingServerList.TryParse(text, out var servers, out var error));

        Assert.Null(servers);
        Assert.Contains(mentioned, error);
        Assert.Throws<FormatException>(() => SignalingServerList.Parse(text));
    }

    [Fact]
    public void TryParse_MoreThanTheClientTries_IsRefused()
    {
        var seventeen = string.Join(',', Enumerable.Range(1, 17).Select(i => $"n{i}.test:3478"));

        Assert.False(SignalingServerList.TryParse(seventeen, out _, out var error));
        Assert.Contains("at most 16", error);
    }

    [Fact]
    public async Task ResolveAsync_OneNameWithSeveralAddresses_CountsAsSeveralServers()
    {
        var resolver = new MapResolver(new()
        {
            ["nodes.test"] = [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.2")],
            ["backup.test"] = [IPAddress.Parse("192.0.2.2"), IPAddress.Parse("::ffff:192.0.2.3")],
        });

        var addresses = await SignalingServerList.ResolveAsync(SignalingServerList.Parse("nodes.test:3478,backup.test:3478,backup.test:4000"), resolver);

        Assert.Equal(
            ["192.0.2.1:3478", "192.0.2.2:3478", "192.0.2.3:3478", "192.0.2.2:4000", "192.0.2.3:4000", "[2001:db8::1]:3478"], // IPv4 (the first's preferred family) first, no repeats
            addresses.Select(a => a.ToString()));
    }

    [Fact]
    public async Task ResolveAsync_NodeKnownOnlyByIPv6_TriedAfterEveryIPv4NodeAndKeptForADualStackSocketOnly()
    {
        // Both families: a dual-stack socket (the default) reaches them all, so a node with an IPv6 address only is not
        // lost; a dead node's other family comes after every node of the first, so failover goes to another node first.
        var resolver = new MapResolver(new()
        {
            ["a.test"] = [IPAddress.Parse("2001:db8::a"), IPAddress.Parse("192.0.2.1")],
            ["b.test"] = [IPAddress.Parse("192.0.2.2")],
            ["v6only.test"] = [IPAddress.Parse("2001:db8::c")],
        });

        var addresses = await SignalingServerList.ResolveAsync(SignalingServerList.Parse("a.test:3478,b.test:3478,v6only.test:3478"), resolver);

        Assert.Equal(["192.0.2.1:3478", "192.0.2.2:3478", "[2001:db8::a]:3478", "[2001:db8::c]:3478"], addresses.Select(a => a.ToString()));
        Assert.Equal(addresses, SignalingServerList.ReachableFrom(addresses, IPAddress.IPv6Any));
        Assert.Equal(["192.0.2.1:3478", "192.0.2.2:3478"], SignalingServerList.ReachableFrom(addresses, IPAddress.Any).Select(a => a.ToString()));
        Assert.Equal(["[2001:db8::a]:3478", "[2001:db8::c]:3478"], SignalingServerList.ReachableFrom(addresses, IPAddress.IPv6Loopback).Select(a => a.ToString()));
    }

    [Fact]
    public async Task ResolveAsync_OneNameUnknown_SkipsItAndAllUnknown_FailsWithOneSentence()
    {
        var resolver = new MapResolver(new() { ["known.test"] = [IPAddress.Parse("192.0.2.9")] });

        var addresses = await SignalingServerList.ResolveAsync(SignalingServerList.Parse("gone.test:1,known.test:2"), resolver);
        var error = await Assert.ThrowsAsync<ChatFailedException>(() => SignalingServerList.ResolveAsync(SignalingServerList.Parse("gone.test:1,lost.test:2"), resolver));

        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.9"), 2)], addresses);
        Assert.StartsWith("Could not resolve host 'gone.test'", error.Message);
    }

    [Fact]
    public async Task ConnectAsync_PeerToPeerWithABadList_FailsWithOneSentence()
    {
        var connector = new ChatConnector(resolver: FakeResolver.Unknown());

        var error = await Assert.ThrowsAsync<ChatFailedException>(() => connector.ConnectAsync(new ChatOptions
        {
            Transport = ChatTransport.PeerToPeer,
            EndPoint = "a.test:3478,,b.test:3478",
            Room = "blue-otter",
            Encryption = SecretChat.Security.BuiltInModules.Pseudo,
        }));

        Assert.StartsWith("The signaling server is not valid: an empty entry", error.Message);
    }

    [Fact]
    public async Task PeerToPeer_SignalList_ReachesTheConnectorAsGiven()
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The signaling server did not answer.");

        Assert.Equal(1, await app.RunAsync("p2p --room blue-otter --signal a.test:3478,b.test:3478 --encryption pseudo"));

        Assert.Equal("a.test:3478,b.test:3478", app.Fake.LastOptions.EndPoint);
    }

    [Theory]
    [InlineData("a.test:3478,,b.test:3478", "an empty entry")]
    [InlineData("a.test:3478,b.test", "b.test")]
    public async Task PeerToPeer_BadSignalList_IsRefusedBeforeAnythingStarts(string list, string mentioned)
    {
        using var app = new TestApp();

        Assert.NotEqual(0, await app.RunAsync($"p2p --room blue-otter --signal {list} --encryption pseudo"));

        Assert.Contains("--signal", app.Console.ErrorText);
        Assert.Contains(mentioned, app.Console.ErrorText);
        Assert.Empty(app.Fake.Connects);
    }

    private sealed class MapResolver(Dictionary<string, IPAddress[]> names) : IHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default) =>
            names.TryGetValue(host, out var addresses)
                ? Task.FromResult(addresses)
                : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
    }
}
