using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Framing;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport;

namespace SecretChat.Samples;

/// <summary>(2) A transport of our own: a Unix domain socket, framed by the kit's socket connection.</summary>
public static class UnixSocketTransport
{
    public static async Task<IFrameConnection> ConnectAsync(string path, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return SocketFrameConnection.Create(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task RunAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"secretchat-sample-{Guid.NewGuid():N}.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen(1);
        try
        {
            using var aliceKey = StaticKeyPair.Generate();
            using var bobKey = StaticKeyPair.Generate();
            var accepting = listening.AcceptAsync();
            var aliceConnection = await ConnectAsync(path);
            var bobConnection = SocketFrameConnection.Create(await accepting);

            // Noise checks who the peer is: the builder wants a choice. Here the users compare the safety number.
            var bobSide = ChatBuilder.Over(bobConnection).SecuredBy(new NoiseSecurity(bobKey)).AcceptAnyPeer().AsResponder().Named("bob").ConnectAsync();
            await using var alice = await ChatBuilder.Over(aliceConnection).SecuredBy(new NoiseSecurity(aliceKey)).AcceptAnyPeer().Named("alice").ConnectAsync();
            await using var bob = await bobSide;

            var heard = bob.Events.OfType<MessageReceived>().FirstAsync().ToTask();
            await alice.SendAsync("over a unix socket");
            var atAlice = await alice.Connected;
            var atBob = await bob.Connected;
            if ((await heard).Text != "over a unix socket" || atAlice.Fingerprint is null || atAlice.Fingerprint != atBob.Fingerprint)
                throw new InvalidOperationException("the message or the safety numbers did not match.");
            if (atAlice.Transport != TransportKind.Other)
                throw new InvalidOperationException($"the chat names its transport {atAlice.Transport}, not 'other'.");
            await Task.WhenAll(alice.FinishAsync(), bob.FinishAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
