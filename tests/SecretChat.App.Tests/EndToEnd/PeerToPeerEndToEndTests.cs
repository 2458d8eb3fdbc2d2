using System.Net;
using System.Net.Sockets;
using SecretChat.Signaling;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// <c>secretchat p2p</c> as users run it: a signaling server and two peers on one machine (loopback),
/// meeting in a room, punching, and chatting over the UDP session.
/// </summary>
public class PeerToPeerEndToEndTests
{
    /// <summary>
    /// No relay fallback (0 = never relay): on loopback the direct path always works, and a test that asserts it must
    /// not race the real-time 2 s fallback on a loaded machine.
    /// </summary>
    private static readonly Dictionary<string, string> DirectOnly = new() { ["SECRETCHAT_P2p__RelayFallbackSeconds"] = "0" };

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    [InlineData("pseudo")]
    public async Task P2p_TwoPeersInOneRoom_ChatBothWaysDirectly(string mode)
    {
        using var home = new TempDirectory();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint.ToString();
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--encryption", mode, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        await bob.WaitForEventAsync("status");
        await using var alice = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--encryption", mode, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);

        await alice.WriteLinesAsync("hi bob", "how is the NAT?");
        await bob.WriteLinesAsync("hi alice");
        alice.CloseInput();
        bob.CloseInput();

        var aliceExit = await alice.WaitForExitAsync();
        var bobExit = await bob.WaitForExitAsync();
        Assert.True(aliceExit == 0 && bobExit == 0,
            $"alice {aliceExit}: {alice.Stderr}\n{string.Join('\n', alice.StdoutLines)}\nbob {bobExit}: {bob.Stderr}\n{string.Join('\n', bob.StdoutLines)}");
        Assert.Equal(["hi bob", "how is the NAT?"], bob.TextsFrom("alice"));
        Assert.Equal(["hi alice"], alice.TextsFrom("bob"));
        var connected = alice.Events.Single(e => e.GetProperty("event").GetString() == "connected");
        Assert.Equal("udp", connected.GetProperty("transport").GetString());
        Assert.Equal("direct", connected.GetProperty("path").GetString());
        Assert.Equal(mode, connected.GetProperty("encryption").GetString());
    }

    [Fact]
    public async Task P2p_StrangerFloodsSpoofedHellosUntilTheSessionIsUp_NothingAnswersItAndThePeersConnect()
    {
        using var home = new TempDirectory();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint.ToString();
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        var bobPort = RegisteredPort(await WaitForStatusAsync(bob, "registered as "));

        // A stranger on a third loopback socket sends bob well-formed noise hellos as an initiator (bob, first in the
        // room, is the responder) from before alice arrives until both sides report the session up.
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var hello = new byte[64];
        var length = SecretChat.Framing.Packets.PacketCodec.Encode(
            SecretChat.Framing.Packets.PacketHeader.Handshake(0xBAD5EED, 0),
            new SecretChat.Security.ProtocolHello(SecretChat.Security.ProtocolHello.SupportedVersions, SecretChat.Security.BuiltInModules.Noise.Id, SecretChat.Security.HandshakeRole.Initiator).ToArray(),
            hello);
        using var sessionUp = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            var sent = 0;
            while (!sessionUp.IsCancellationRequested)
            {
                await stranger.SendToAsync(hello.AsMemory(0, length), new IPEndPoint(IPAddress.Loopback, bobPort));
                sent++;
                await Task.Delay(5); // paces the flood; the loop ends when the session is up, not after a count
            }
            return sent;
        });

        await using var alice = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);
        var atBob = await bob.WaitForEventAsync("connected");
        var atAlice = await alice.WaitForEventAsync("connected");
        await sessionUp.CancelAsync();
        var spoofed = await flood;
        await alice.WriteLinesAsync("the real alice");
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());

        Assert.True(spoofed > 0);
        // Both processes have exited, so whatever they sent the stranger is in its socket by now: nothing was.
        Assert.Equal(0, stranger.Available);
        Assert.Equal(("alice", "noise"), (atBob.GetProperty("peer").GetString(), atBob.GetProperty("encryption").GetString()));
        Assert.Equal(("bob", "noise"), (atAlice.GetProperty("peer").GetString(), atAlice.GetProperty("encryption").GetString()));
        Assert.Equal(bobPort, IPEndPoint.Parse(atAlice.GetProperty("remote").GetString()!).Port);
        Assert.NotEqual(((IPEndPoint)stranger.LocalEndPoint!).Port, IPEndPoint.Parse(atBob.GetProperty("remote").GetString()!).Port);
        Assert.Equal(["the real alice"], bob.TextsFrom("alice"));
    }

    private static int RegisteredPort(string status) =>
        int.Parse(status.Split(' ')[2].TrimEnd(';').Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> WaitForStatusAsync(SecretChatProcess process, string prefix)
    {
        while (true)
        {
            var text = (await process.WaitForEventAsync("status")).GetProperty("text").GetString()!;
            if (text.StartsWith(prefix, StringComparison.Ordinal))
                return text;
        }
    }

    [Fact]
    public async Task P2p_SignalingServerUnreachable_FailsWithinItsTimeoutWithOneSentence()
    {
        var port = LoopbackPorts.UnusedUdp();
        await using var alice = SecretChatProcess.Start("p2p", "--room", "lonely", "--signal", $"127.0.0.1:{port}", "--encryption", "pseudo");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync(Timeouts.Startup)); // the runtime starting, then the server timeout
        var line = Assert.Single(alice.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Contains("did not answer", line);
    }

    [Fact]
    public async Task P2p_ThirdPeerInAFullRoom_IsRefusedNamingTheRoom()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var room = $"room-{Guid.NewGuid():N}";
        // Two peers hold the room (they register and stay, as peers do until they have punched).
        await using var first = new RoomHolder(server.LocalEndPoint);
        await using var second = new RoomHolder(server.LocalEndPoint);
        var waiting = first.RegisterAsync(room);
        await second.RegisterAsync(room).WaitAsync(Timeouts.Default);
        await waiting.WaitAsync(Timeouts.Default);

        await using var carol = SecretChatProcess.Start("p2p", "--room", room, "--signal", server.LocalEndPoint.ToString(), "--encryption", "pseudo", "--name", "carol");
        carol.CloseInput();

        Assert.NotEqual(0, await carol.WaitForExitAsync());
        var line = Assert.Single(carol.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(line.Contains($"room '{room}' is full", StringComparison.OrdinalIgnoreCase), line);
    }

    /// <summary>A bare rendezvous client on its own socket, standing in for a peer that holds a place in a room.</summary>
    private sealed class RoomHolder : IAsyncDisposable
    {
        private readonly SecretChat.Transport.Udp.UdpDatagramSocket _socket = SecretChat.Transport.Udp.UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly RendezvousClient _client;
        private readonly IDisposable _wiring;

        public RoomHolder(IPEndPoint server)
        {
            _client = new RendezvousClient((datagram, to, ct) => _socket.SendAsync(datagram, to, ct), server, System.Reactive.Concurrency.DefaultScheduler.Instance);
            _wiring = _socket.Datagrams.Subscribe(d => _client.TryHandle(d.Payload.Span, d.RemoteEndPoint));
        }

        public Task<PeerMatch> RegisterAsync(string room) => _client.RegisterAsync(room, [_socket.LocalEndPoint]);

        public async ValueTask DisposeAsync()
        {
            _wiring.Dispose();
            _client.Dispose();
            await _socket.DisposeAsync();
        }
    }
}
