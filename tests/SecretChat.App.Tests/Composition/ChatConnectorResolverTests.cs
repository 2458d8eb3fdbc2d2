using System.Net;
using SecretChat.App.Chat;
using SecretChat.App.Composition;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>Host names go through the resolver the connector was given: tests decide what a name means.</summary>
public sealed class ChatConnectorResolverTests
{
    private sealed class FixedResolver(params IPAddress[] answer) : IHostResolver
    {
        public List<string> Asked { get; } = [];

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default)
        {
            Asked.Add(host);
            return Task.FromResult(answer);
        }
    }

    [Theory]
    [InlineData(ChatTransport.Udp, "reach")]
    [InlineData(ChatTransport.PeerToPeer, "reach the signaling server")]
    public async Task ConnectAsync_NameWithNoAddress_FailsWithOneSentence_AskingOnlyTheGivenResolver(ChatTransport transport, string purpose)
    {
        var resolver = new FixedResolver();
        var connector = new ChatConnector(resolver: resolver);

        var error = await Assert.ThrowsAsync<ChatFailedException>(() => connector.ConnectAsync(new ChatOptions
        {
            Transport = transport,
            EndPoint = "peer.test:5000",
            Room = "blue-otter",
            Encryption = SecurityMode.Pseudo,
        }));

        Assert.Equal($"Could not resolve host 'peer.test' to an address to {purpose}.", error.Message);
        Assert.Equal(["peer.test"], resolver.Asked);
    }

    [Fact]
    public async Task ListenAsync_Name_ListensWhereTheResolverSays()
    {
        var connector = new ChatConnector(resolver: new FixedResolver(IPAddress.Loopback));

        await using var listener = await connector.ListenAsync(new ChatOptions
        {
            Transport = ChatTransport.Udp,
            EndPoint = "here.test:0",
            Encryption = SecurityMode.Pseudo,
        });

        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint).Address);
    }
}
