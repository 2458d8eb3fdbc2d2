using System.Net;
using System.Threading.Channels;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>A chat listener over a frame listener of one's own, with a module given in code.</summary>
public class ChatListenerTests
{
    [Fact]
    public async Task Over_AFrameListenerOfOnesOwn_AcceptsASessionWithTheModuleGivenInCode()
    {
        var frames = new InMemoryFrameListener();
        await using var listener = ChatListener.Over(frames, SecurityChoice.AcceptingAnyPeer(new RsaSecurity()), new ChatOptions { EndPoint = "unused", Name = "bob" });
        var accepting = listener.AcceptAsync();

        await using var alice = await ChatBuilder.Over(frames.Connect()).SecuredBy(new RsaSecurity()).Named("alice").ConnectAsync()
            .WaitAsync(Timeouts.Process);
        await using var bob = await accepting.WaitAsync(Timeouts.Process);

        var atAlice = await alice.Connected;
        Assert.Equal("bob", atAlice.Peer);
        Assert.Equal(BuiltInModules.Rsa, atAlice.Encryption);
        Assert.Equal(TransportKind.InMemory, atAlice.Transport);
        Assert.Equal(frames.LocalEndPoint, listener.LocalEndPoint);
    }

    /// <summary>Hands out the far end of an in-memory pair for each <see cref="Connect"/>.</summary>
    private sealed class InMemoryFrameListener : IFrameListener
    {
        private readonly Channel<IFrameConnection> _arrivals = Channel.CreateUnbounded<IFrameConnection>();

        public EndPoint LocalEndPoint { get; } = new DnsEndPoint("in-memory", 1);

        public IFrameConnection Connect()
        {
            var (near, far) = InMemoryFrameTransport.CreatePair();
            _arrivals.Writer.TryWrite(far);
            return near;
        }

        public async ValueTask<IFrameConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
            await _arrivals.Reader.ReadAsync(cancellationToken);

        public ValueTask DisposeAsync()
        {
            _arrivals.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
