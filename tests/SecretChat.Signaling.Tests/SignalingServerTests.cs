using System.Net;
using System.Net.Sockets;
using SecretChat.Security;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>The real server on a loopback port, with real clients.</summary>
public class SignalingServerTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Register_TwoPeersInOneRoom_LearnEachOthersAddressesFromOneSocketEach()
    {
        await using var server = SignalingServer.Start(AnyLoopback);
        await using var alice = new LoopbackPeer(server.LocalEndPoint);
        await using var bob = new LoopbackPeer(server.LocalEndPoint);

        var aliceStun = await alice.Stun.BindAsync(server.LocalEndPoint).WaitAsync(Timeout);
        // Alice holds the room before Bob registers: the first member is the responder, and each Register first
        // proves its address with a cookie round trip, so two Registers sent together may arrive in either order.
        var aliceWaits = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aliceMatch = alice.Rendezvous.RegisterAsync("blue-otter", [alice.LocalEndPoint], new Waiting(aliceWaits));
        await aliceWaits.Task.WaitAsync(Timeout);
        var bobMatch = await bob.Rendezvous.RegisterAsync("blue-otter", [bob.LocalEndPoint]).WaitAsync(Timeout);
        var aliceSees = await aliceMatch.WaitAsync(Timeout);

        Assert.Equal(alice.LocalEndPoint, aliceStun.MappedAddress);
        Assert.Equal(PeerRole.Responder, aliceSees.Role);
        Assert.Equal(PeerRole.Initiator, bobMatch.Role);
        Assert.Equal(bob.LocalEndPoint, aliceSees.PeerReflexiveAddress);
        Assert.Equal(alice.LocalEndPoint, bobMatch.PeerReflexiveAddress);
        Assert.Equal(alice.LocalEndPoint, aliceSees.ReflexiveAddress);
        Assert.Equal(0, alice.Unclaimed + bob.Unclaimed);
    }

    [Fact]
    public async Task Register_ThirdPeer_IsToldTheRoomIsFull()
    {
        await using var server = SignalingServer.Start(AnyLoopback);
        await using var alice = new LoopbackPeer(server.LocalEndPoint);
        await using var bob = new LoopbackPeer(server.LocalEndPoint);
        // Carol does not retransmit while the test waits, so the server refuses exactly one Register from her.
        var once = new RendezvousClientOptions { InitialRetransmit = Timeout, MaxRetransmit = Timeout, ServerTimeout = Timeout };
        await using var carol = new LoopbackPeer(server.LocalEndPoint, once);
        var waiting = alice.Rendezvous.RegisterAsync("x", []);
        await bob.Rendezvous.RegisterAsync("x", []).WaitAsync(Timeout);
        await waiting.WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<SignalingException>(() => carol.Rendezvous.RegisterAsync("x", []).WaitAsync(Timeout));

        Assert.Equal("room 'x' is full", error.Message);
        Assert.Equal(1, server.Statistics.RefusedRoomFull);
    }

    [Fact]
    public async Task Server_FloodOfGarbage_IsCountedAndDroppedAndTheServerStillAnswers()
    {
        await using var server = SignalingServer.Start(AnyLoopback, new SignalingServerOptions { RateBurst = 10_000, RatePerSecond = 10_000 });
        await using var client = UdpStunClient.Bind(AnyLoopback, options: ServerHarness.PaddedStun);
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(AnyLoopback);
        var random = new Random(5);
        const int Bursts = 10, PerBurst = 50;

        for (var burst = 0; burst < Bursts; burst++)
        {
            for (var i = 0; i < PerBurst; i++)
            {
                var garbage = new byte[random.Next(1, 600)];
                random.NextBytes(garbage);
                garbage[0] = (byte)(0x40 | (garbage[0] & 0x0F)); // always in the signaling range, so always parsed
                if (garbage.Length > 1) garbage[1] = SignalingCodec.Version;
                await flooder.SendToAsync(garbage, server.LocalEndPoint);
            }

            // The server handles datagrams in order from one loop: once this is answered, the burst has been handled.
            await SyncAsync(flooder, server.LocalEndPoint);
        }

        var binding = await client.BindAsync(server.LocalEndPoint).WaitAsync(Timeout);
        Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        var handled = server.Statistics.MalformedDropped + server.Statistics.SignalingPacketsHandled + server.Statistics.UnexpectedDropped;
        Assert.Equal(Bursts * (PerBurst + 1) + 1, server.Statistics.DatagramsReceived);
        Assert.Equal(Bursts * PerBurst, handled);
        Assert.True(server.Statistics.MalformedDropped > Bursts * PerBurst / 2);
    }

    [Fact]
    public async Task RateLimit_AFloodingSource_IsToldOnceAndThenIgnored()
    {
        await using var server = SignalingServer.Start(AnyLoopback, new SignalingServerOptions { RateBurst = 5, RatePerSecond = 0.001 });
        await using var peer = new LoopbackPeer(server.LocalEndPoint, new RendezvousClientOptions { InitialRetransmit = TimeSpan.FromMilliseconds(50) });
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(AnyLoopback);
        for (var i = 0; i < 5; i++)
            await flooder.SendToAsync(new byte[] { 0x45, SignalingCodec.Version }, server.LocalEndPoint);

        // Same source address (127.0.0.1), so the peer's Register finds the bucket empty.
        var error = await Assert.ThrowsAsync<SignalingException>(() => peer.Rendezvous.RegisterAsync("x", []).WaitAsync(Timeout));

        Assert.Equal(SignalingErrorCode.RateLimited, error.Code);
        Assert.StartsWith($"the signaling server {server.LocalEndPoint} is rate-limiting this address", error.Message);
    }

    [Fact]
    public async Task Server_UnprovenSourceSendingEveryKindOfPacket_GetsBackNoMoreBytesThanItSent()
    {
        await using var server = SignalingServer.Start(AnyLoopback);
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(AnyLoopback);
        var id = StunTransactionId.New();
        byte[][] requests =
        [
            SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), [])),
            SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), [], new AddressCookie(1, 2))),
            SignalingCodec.Encode(new KeepAlivePacket("nowhere", new PeerId(1), default)),
            SignalingCodec.Encode(new LeavePacket("x", new PeerId(1), MemberToken.New())),
            SignalingCodec.Encode(new RelayPacket(new PeerId(1), MemberToken.New(), new byte[100])),
            Convert.FromHexString("4001" + "0a" + Convert.ToHexString("blue-otter"u8) + "0000000000000001" + "00"), // version 1
            [0x45, 0x02, 0xFF],
            new StunMessageBuilder(StunMessageType.BindingRequest, id).ToArray(),
            new StunMessageBuilder(StunMessageType.BindingRequest, id).AddFingerprint().ToArray(),
        ];
        long bytesIn = 0, bytesOut = 0;

        foreach (var request in requests.Concat(requests)) // twice: the second Register still has no valid cookie
        {
            await stranger.SendToAsync(request, server.LocalEndPoint);
            bytesIn += request.Length;
        }

        // The server answers in order from one loop: once the sync answer is here, every answer before it is too.
        var sync = StunTransactionId.New();
        await stranger.SendToAsync(ServerHarness.BindingRequest(sync), server.LocalEndPoint);
        var buffer = new byte[1500];
        while (true)
        {
            var received = await stranger.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);
            if (StunMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var message) && message.TransactionId == sync)
                break;
            bytesOut += received.ReceivedBytes;
        }

        Assert.True(bytesOut <= bytesIn, $"{bytesOut} bytes back for {bytesIn} sent");
        Assert.True(bytesOut > 0); // it did answer (cookies, cut errors): within the request's size
        Assert.Equal(0, server.Statistics.OpenRooms);
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsAddressAlreadyInUse()
    {
        await using var first = SignalingServer.Start(AnyLoopback);

        var error = Assert.Throws<SocketException>(() => SignalingServer.Start(first.LocalEndPoint));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task Client_ServerNotRunning_FailsWithinTheStatedTime()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(AnyLoopback);
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using var peer = new LoopbackPeer(new IPEndPoint(IPAddress.Loopback, port), new RendezvousClientOptions { ServerTimeout = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<SignalingTimeoutException>(() => peer.Rendezvous.RegisterAsync("x", []).WaitAsync(Timeout));

        Assert.Equal($"the signaling server 127.0.0.1:{port} did not answer within 1 s", error.Message);
    }

    [Fact]
    public void SignalingServerOptions_Defaults_AreTheDocumentedOnes()
    {
        var options = new SignalingServerOptions();

        Assert.Equal(TimeSpan.FromSeconds(60), options.RoomTtl);
        Assert.Equal(10_000, options.MaxRooms);
        Assert.Equal(10, options.RatePerSecond);
        Assert.Equal(20, options.RateBurst);
        Assert.True(options.RelayEnabled);
        Assert.Equal(256 * 1024, options.RelayBytesPerSecond);
        Assert.Equal(1024 * 1024, options.RelayBurstBytes);
        Assert.Equal(256L * 1024 * 1024, options.RelayTotalBytes);
    }

    private static async Task SyncAsync(Socket socket, IPEndPoint server)
    {
        var id = StunTransactionId.New();
        await socket.SendToAsync(ServerHarness.BindingRequest(id), server);
        var buffer = new byte[1500];
        while (true)
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);
            if (StunMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var message) && message.TransactionId == id)
                return;
        }
    }

    /// <summary>Completes when the server says the member is waiting in the room.</summary>
    private sealed class Waiting(TaskCompletionSource registered) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => registered.TrySetResult();
    }
}
