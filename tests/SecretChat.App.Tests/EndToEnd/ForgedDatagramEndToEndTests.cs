using System.Net;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Signaling;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Issue 14, attack 4, with the real processes on loopback: datagrams forged with the peer's (or the signaling
/// server's) source address, sent through a raw socket, change nothing in an established UDP session.
/// </summary>
public class ForgedDatagramEndToEndTests
{
    private static readonly Dictionary<string, string> DirectOnly = new() { ["SECRETCHAT_P2p__RelayFallbackSeconds"] = "0" };

    /// <summary>A hello of a new session, as an initiator in <paramref name="mode"/> writes it: no key is needed.</summary>
    private static byte[] Hello(string mode, uint sessionId)
    {
        var hello = new ProtocolHello(ProtocolHello.SupportedVersions, mode, HandshakeRole.Initiator).ToArray();
        var packet = new byte[PacketCodec.EncodedSize(PacketHeader.Handshake(sessionId, 0), hello.Length)];
        PacketCodec.Encode(PacketHeader.Handshake(sessionId, 0), hello, packet);
        return packet;
    }

    /// <summary>A data packet of a session the attacker guesses, with a tag that cannot verify.</summary>
    private static byte[] Data(uint sessionId, ulong counter)
    {
        var packet = new byte[PacketCodec.DataHeaderSize + 32];
        PacketCodec.WriteHeader(PacketHeader.Data(sessionId, counter), packet);
        return packet;
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task UdpSession_ForgedHelloFromThePeersAddress_SessionSurvivesAndDeliversBothWays(string mode)
    {
        using var home = new TempDirectory();
        using var spoofer = new SpoofedUdp();
        await using var bob = SecretChatProcess.Start(
            ["listen", "--udp", "127.0.0.1:0", "--encryption", mode, "--name", "bob", "--json", .. home.IdentityArgs("bob")], null);
        var bobAddress = IPEndPoint.Parse((await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!);
        await using var alice = SecretChatProcess.Start(
            ["connect", "--udp", bobAddress.ToString(), "--encryption", mode, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null);
        var aliceAddress = IPEndPoint.Parse((await bob.WaitForEventAsync("connected")).GetProperty("remote").GetString()!);
        await alice.WaitForEventAsync("connected");

        // What used to end the session as "peer restarted": one hello of a new session from alice's address. Then a
        // burst of them, and data packets of guessed sessions.
        for (var k = 0u; k < 20; k++)
            spoofer.Send(aliceAddress, bobAddress, Hello(mode, 0xBAD0000 + k));
        for (var k = 0u; k < 20; k++)
            spoofer.Send(aliceAddress, bobAddress, Data(k, k));

        await alice.WriteLinesAsync("still me");
        await bob.WriteLinesAsync("still here");
        Assert.Equal(["still me"], await bob.WaitForMessagesAsync(1));
        Assert.Equal(["still here"], await alice.WaitForMessagesAsync(1));
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.DoesNotContain("restarted", bob.Stderr + string.Join('\n', bob.StdoutLines));
        Assert.Single(bob.Events, e => SecretChatProcess.Kind(e) == "connected");
    }

    [Fact]
    public async Task P2p_ForgedBareSessionPacketsFromTheServersAddress_SessionSurvivesAndDeliversBothWays()
    {
        using var home = new TempDirectory();
        using var spoofer = new SpoofedUdp();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var signal = server.LocalEndPoint;
        var room = $"room-{Guid.NewGuid():N}";
        await using var bob = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal.ToString(), "--name", "bob", "--json", .. home.IdentityArgs("bob")], DirectOnly);
        await bob.WaitForEventAsync("status");
        await using var alice = SecretChatProcess.Start(["p2p", "--room", room, "--signal", signal.ToString(), "--name", "alice", "--json", .. home.IdentityArgs("alice")], DirectOnly);
        var atAlice = await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");
        var bobAddress = IPEndPoint.Parse(atAlice.GetProperty("remote").GetString()!);

        // "Relayed" traffic that merely comes from the server's address: a hello of a new session and data packets.
        for (var k = 0u; k < 20; k++)
        {
            spoofer.Send(signal, bobAddress, Hello("noise", 0xBAD0000 + k));
            spoofer.Send(signal, bobAddress, Data(k, k));
        }

        await alice.WriteLinesAsync("still alice");
        await bob.WriteLinesAsync("still bob");
        Assert.Equal(["still alice"], await bob.WaitForMessagesAsync(1));
        Assert.Equal(["still bob"], await alice.WaitForMessagesAsync(1));
        alice.CloseInput();
        bob.CloseInput();

        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());
        Assert.DoesNotContain("restarted", bob.Stderr + string.Join('\n', bob.StdoutLines));
    }
}
