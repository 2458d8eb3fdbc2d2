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
    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    [InlineData("pseudo")]
    public async Task TwoPeers_MeetInARoom_AndChatBothWaysDirectly(string mode)
    {
        using var home = new TemporaryDirectory();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint.ToString();
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--encryption", mode, "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        await bob.WaitForEventAsync("status");
        await using var alice = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal, "--encryption", mode, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null);

        await alice.WriteLinesAsync("hi bob", "how is the NAT?");
        await bob.WriteLinesAsync("hi alice");
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.Equal(["hi bob", "how is the NAT?"], Texts(bob, "alice"));
        Assert.Equal(["hi alice"], Texts(alice, "bob"));
        var connected = alice.Events.Single(e => e.GetProperty("event").GetString() == "connected");
        Assert.Equal("udp", connected.GetProperty("transport").GetString());
        Assert.Equal("direct", connected.GetProperty("path").GetString());
        Assert.Equal(mode, connected.GetProperty("encryption").GetString());
    }

    [Fact]
    public async Task SignalingServerUnreachable_FailsWithinItsTimeout_WithOneSentence()
    {
        var port = FreeUdpPort();
        await using var alice = SecretChatProcess.Start("p2p", "--room", "lonely", "--signal", $"127.0.0.1:{port}", "--encryption", "pseudo");
        alice.CloseInput();

        Assert.NotEqual(0, await alice.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(alice.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Contains("did not answer", line);
    }

    [Fact]
    public async Task ThirdPeer_IsRefused_BecauseTheRoomIsFull()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint.ToString();
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start("p2p", "--room", room, "--signal", signal, "--encryption", "pseudo", "--name", "bob", "--json");
        await bob.WaitForEventAsync("status");
        await using var alice = SecretChatProcess.Start("p2p", "--room", room, "--signal", signal, "--encryption", "pseudo", "--name", "alice", "--json");
        await alice.WaitForEventAsync("connected");

        await using var carol = SecretChatProcess.Start("p2p", "--room", room, "--signal", signal, "--encryption", "pseudo", "--name", "carol");
        carol.CloseInput();

        Assert.NotEqual(0, await carol.WaitForExitAsync());
        Assert.Contains("full", carol.Stderr);
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
    }

    private static string[] Texts(SecretChatProcess process, string from) => process.Events
        .Where(e => e.GetProperty("event").GetString() == "message" && e.GetProperty("from").GetString() == from)
        .Select(e => e.GetProperty("text").GetString()!)
        .ToArray();

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
