using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security.Pseudo;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>
/// Issue 23's stream-pipe bug at the chat level: a chat over frames on a real loopback <see cref="NetworkStream"/>
/// finishes cleanly on both sides (the half-close reaches the peer) and disposes without throwing.
/// </summary>
public class StreamTransportChatTests
{
    [Fact]
    public async Task FinishAsync_OverNetworkStreams_BothSidesEndCleanlyAndDisposeQuietly()
    {
        using var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(1);
        var accepting = listening.AcceptAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listening.LocalEndPoint!).WaitAsync(Timeouts.Default);
        var server = await accepting.WaitAsync(Timeouts.Default);

        var bob = ChatBuilder.Over(PipeFrameConnection.Create(new NetworkStream(server, ownsSocket: true)))
            .SecuredBy(new PseudoSecurity()).AsResponder().Named("bob").Start();
        var alice = ChatBuilder.Over(PipeFrameConnection.Create(new NetworkStream(client, ownsSocket: true)))
            .SecuredBy(new PseudoSecurity()).Named("alice").Start();
        var aliceEnd = alice.Events.OfType<Disconnected>().FirstAsync().ToTask();
        var bobEnd = bob.Events.OfType<Disconnected>().FirstAsync().ToTask();
        await alice.Connected.WaitAsync(Timeouts.Default);
        await bob.Connected.WaitAsync(Timeouts.Default);

        await alice.SendAsync("hello over a stream");
        var finished = await Task.WhenAll(alice.FinishAsync(), bob.FinishAsync()).WaitAsync(Timeouts.Default);

        Assert.Equal([true, true], finished);
        Assert.True((await aliceEnd.WaitAsync(Timeouts.Default)).Clean);
        Assert.True((await bobEnd.WaitAsync(Timeouts.Default)).Clean);
        await alice.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);
        await bob.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);
    }
}
