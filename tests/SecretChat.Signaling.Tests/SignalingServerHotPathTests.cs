using System.Net;
using System.Net.Sockets;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>
/// The server's per-packet shortcuts against the paths they shortcut: a Relay read in place is exactly what
/// <see cref="SignalingCodec.Decode"/> takes for one, a Relayed written into a reused buffer is exactly what
/// <see cref="SignalingCodec.Encode(SignalingPacket)"/> writes, and the address table answers each source at its own address.
/// </summary>
public class SignalingServerHotPathTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;
    private static readonly MemberToken Token = new(0x0102030405060708, 0x090a0b0c0d0e0f10);

    [Fact]
    public void TryReadRelay_EveryCutMutationAndTrailer_AgreesWithDecode()
    {
        var random = new Random(18);
        var cases = new List<byte[]>();
        foreach (var length in new[] { 0, 1, 27, 1100, 1200 })
        {
            var valid = SignalingCodec.Encode(new RelayPacket(new PeerId(0xfeedface), Token, RandomBytes(random, length)));
            cases.Add(valid);
            cases.Add([.. valid, 1, 2, 3]); // trailing bytes: ignored by both
            for (var cut = 0; cut < Math.Min(valid.Length, 40); cut++)
                cases.Add(valid[..cut]);
            for (var i = 0; i < Math.Min(valid.Length, 40); i++)
            {
                var mutated = (byte[])valid.Clone();
                mutated[i] ^= (byte)(1 + random.Next(255));
                cases.Add(mutated);
            }
        }

        var oversized = SignalingCodec.Encode(new RelayPacket(new PeerId(1), Token, new byte[10]));
        oversized[26] = 0x04; // length 1034 + 10: more than the datagram holds
        cases.Add(oversized);
        cases.Add([0x46, SignalingCodec.Version, .. new byte[24], 0x04, 0xB1, .. new byte[1201]]); // 1201 > 1200
        for (var i = 0; i < 500; i++)
            cases.Add(RandomBytes(random, random.Next(0, 64)));

        foreach (var datagram in cases)
        {
            var read = SignalingCodec.TryReadRelay(datagram, out var peer, out var token, out var payload);
            var decoded = SignalingCodec.TryDecode(datagram, out var packet) && packet is RelayPacket;
            Assert.Equal(decoded, read);
            if (!read)
                continue;
            var relay = (RelayPacket)packet!;
            Assert.Equal(relay.Peer, peer);
            Assert.Equal(relay.Token, token);
            Assert.Equal(relay.Payload.ToArray(), payload.ToArray());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1100)]
    [InlineData(SignalingCodec.MaxRelayPayloadBytes)]
    public void WriteRelayed_AnyPayload_SameBytesAsEncode(int length)
    {
        var payload = RandomBytes(new Random(length), length);
        var buffer = new byte[SignalingCodec.MaxRelayPacketLength];
        buffer.AsSpan().Fill(0xAA); // what a previous, longer datagram left behind must not leak into this one

        var written = SignalingCodec.WriteRelayed(buffer, Token, new PeerId(42), payload);

        Assert.Equal(SignalingCodec.Encode(new RelayedPacket(Token, new PeerId(42), payload)), buffer[..written]);
    }

    [Fact]
    public async Task Stun_DualModeServer_AnswersEachIPv4AndIPv6ClientAtItsOwnAddress()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.IPv6Any, 0));
        var port = server.LocalEndPoint.Port;
        using var first = Client(IPAddress.Loopback);
        using var second = Client(IPAddress.Loopback);
        using var six = Client(IPAddress.IPv6Loopback);

        // Each in turn, twice: the second round is answered from the server's address table.
        for (var round = 0; round < 2; round++)
        {
            foreach (var (client, to) in new[] { (first, IPAddress.Loopback), (second, IPAddress.Loopback), (six, IPAddress.IPv6Loopback) })
                Assert.Equal(client.LocalEndPoint, await BindAsync(client, new IPEndPoint(to, port)));
        }
    }

    private static Socket Client(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    /// <summary>One Binding request (SOFTWARE and FINGERPRINT: 52 bytes, which the answer fits in) and the address in its answer.</summary>
    private static async Task<IPEndPoint?> BindAsync(Socket client, IPEndPoint server)
    {
        var request = new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New()).AddSoftware("SecretChat netcheck").AddFingerprint().ToArray();
        await client.SendToAsync(request, SocketFlags.None, server);
        var buffer = new byte[2048];
        var received = await client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0)).WaitAsync(Timeout);
        var answer = StunMessage.Parse(buffer.AsSpan(0, received.ReceivedBytes));
        Assert.Equal(StunMessageType.BindingSuccess, answer.Type);
        return answer.XorMappedAddress;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
