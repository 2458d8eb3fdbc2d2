using System.Net;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Composition;

/// <summary>Host names go through the resolver the connector was given: tests decide what a name means.</summary>
public sealed class ChatConnectorResolverTests
{
    [Theory]
    [InlineData(ChatTransport.Udp, "reach")]
    [InlineData(ChatTransport.PeerToPeer, "reach the signaling server")]
    public async Task ConnectAsync_NameWithNoAddress_FailsWithOneSentence_AskingOnlyTheGivenResolver(ChatTransport transport, string purpose)
    {
        var resolver = FakeResolver.Answering();
        var connector = new ChatConnector(resolver: resolver);

        var error = await Assert.ThrowsAsync<ChatFailedException>(() => connector.ConnectAsync(new ChatOptions
        {
            Transport = transport,
            EndPoint = "peer.test:5000",
            Room = "blue-otter",
            Encryption = BuiltInModules.Pseudo,
        }));

        Assert.Equal($"Could not resolve host 'peer.test' to an address to {purpose}.", error.Message);
        Assert.Equal(["peer.test"], resolver.Asked);
    }

    [Fact]
    public async Task Connect_UnresolvableHost_PrintsOneSentenceNamingTheHostAndExitsOne()
    {
        var resolver = FakeResolver.Unknown();
        using var app = new TestApp(connector: new ChatConnector(resolver: resolver));

        Assert.Equal(1, await app.RunAsync("connect --tcp no-such-host.test:5000 --encryption pseudo"));

        var line = Assert.Single(app.Console.ErrorText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no-such-host.test", line);
        Assert.Equal(["no-such-host.test"], resolver.Asked);
    }

    [Fact]
    public async Task ListenAsync_Name_ListensWhereTheResolverSays()
    {
        var connector = new ChatConnector(resolver: FakeResolver.Answering(IPAddress.Loopback));

        await using var listener = await connector.ListenAsync(new ChatOptions
        {
            Transport = ChatTransport.Udp,
            EndPoint = "here.test:0",
            Encryption = BuiltInModules.Pseudo,
        });

        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint).Address);
    }
}
