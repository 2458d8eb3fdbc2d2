using System.Buffers;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using SecretChat.Framing;
using SecretChat.Security.Pseudo;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Channels;

/// <summary>Every security mode through the one stream channel, over an in-memory framed pair.</summary>
public class FramedSecureChannelTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    [InlineData("pseudo")]
    public async Task Channels_EstablishTheSameSession_AndCarryMessagesBothWaysInOrder(string mode)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var alice = new FramedSecureChannel(left, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        var bobGot = bob.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m)).Take(3).ToList().ToTask();
        var aliceGot = alice.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m)).Take(1).ToList().ToTask();

        var aliceSession = await alice.Established.WaitAsync(Timeout);
        var bobSession = await bob.Established.WaitAsync(Timeout);
        foreach (var text in new[] { "one", "", "three" })
            await alice.SendAsync(System.Text.Encoding.UTF8.GetBytes(text));
        await bob.SendAsync("back"u8.ToArray());

        Assert.Equal(["one", "", "three"], await bobGot.WaitAsync(Timeout));
        Assert.Equal(["back"], await aliceGot.WaitAsync(Timeout));
        Assert.Equal(aliceSession.HandshakeHash.ToArray(), bobSession.HandshakeHash.ToArray());
        if (mode == "noise")
        {
            Assert.Equal(BobKey.PublicKey.ToArray(), aliceSession.RemoteStaticKey.ToArray());
            Assert.Equal(AliceKey.PublicKey.ToArray(), bobSession.RemoteStaticKey.ToArray());
        }
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task TransportDataBeforeTheHandshakeCompletes_FailsTheHandshake(string mode)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        using var _ = bob.Messages.Subscribe(_ => { }, _ => { });

        // An impostor says hello as an initiator, then jumps straight to "sealed data".
        await left.SendAsync(ProtocolHello.Local(Module(mode, AliceKey), HandshakeRole.Initiator).ToArray());
        await left.SendAsync(new byte[48]);

        await Assert.ThrowsAsync<HandshakeException>(() => bob.Established.WaitAsync(Timeout));
        await left.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_BeforeTheHandshake_Throws()
    {
        var (left, _) = InMemoryFrameTransport.CreatePair();
        await using var alice = new FramedSecureChannel(left, new PseudoSecurity(), HandshakeRole.Initiator, Timeout);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await alice.SendAsync(new byte[1]));
    }

    [Fact]
    public async Task Messages_SecondSubscription_IsRefused()
    {
        var (left, _) = InMemoryFrameTransport.CreatePair();
        await using var alice = new FramedSecureChannel(left, new PseudoSecurity(), HandshakeRole.Initiator, Timeout);
        using var first = alice.Messages.Subscribe(_ => { }, _ => { });

        await Assert.ThrowsAsync<InvalidOperationException>(() => alice.Messages.ToTask());
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task SendAsync_ConcurrentSendersOverTcp_EveryMessageOpens_InTheOrderOfItsNonce(string mode)
    {
        // Sealing happens inside the connection's write lock: a frame sealed with nonce n must be the n-th on the
        // wire, or the receiver's implicit counter fails it. Many senders at once would expose any gap.
        await using var listener = TcpFrameListener.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        var left = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).WaitAsync(Timeout);
        var right = await accepting.WaitAsync(Timeout);
        await using var alice = new FramedSecureChannel(left, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        const int senders = 4;
        const int perSender = 200;
        var bobGot = bob.Messages.Select(m => m.ToArray()).Take(senders * perSender).ToList().ToTask();
        using var _ = alice.Messages.Subscribe(_ => { }, _ => { });
        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        var sending = Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                var message = new byte[1 + (i * 997 % alice.MaxMessageSize)];
                message[0] = (byte)sender;
                await alice.SendAsync(message);
            }
        }));
        await Task.WhenAll(sending).WaitAsync(Timeout);

        var received = await bobGot.WaitAsync(Timeout);
        Assert.All(Enumerable.Range(0, senders), sender => Assert.Equal(perSender, received.Count(m => m[0] == sender)));
    }

    [Fact]
    public void Constructor_ArgumentChecking()
    {
        var (left, _) = InMemoryFrameTransport.CreatePair();
        Assert.Equal("connection", Assert.Throws<ArgumentNullException>(() => new FramedSecureChannel(null!, new PseudoSecurity(), HandshakeRole.Initiator, Timeout)).ParamName);
        Assert.Equal("security", Assert.Throws<ArgumentNullException>(() => new FramedSecureChannel(left, null!, HandshakeRole.Initiator, Timeout)).ParamName);
    }
}
