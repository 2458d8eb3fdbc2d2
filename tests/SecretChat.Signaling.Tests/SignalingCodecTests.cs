using System.Net;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests;

public class SignalingCodecTests
{
    private static readonly IPEndPoint V4 = new(IPAddress.Parse("203.0.113.7"), 40000);
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8::1"), 5000);

    public static TheoryData<SignalingPacket> Packets() => new()
    {
        new RegisterPacket("blue-otter", new PeerId(0x0102030405060708), [V4, V6]),
        new RegisterPacket("ü", new PeerId(1), []),
        new RegisteredPacket(new PeerId(42), V4),
        new PeerInfoPacket(new PeerId(1), PeerRole.Initiator, TimeSpan.FromMilliseconds(250), V4, new PeerId(2), V6, [V4, V6]),
        new ErrorPacket(new PeerId(3), SignalingErrorCode.RoomFull, "room 'x' is full"),
        new LeavePacket("x", new PeerId(4)),
        new KeepAlivePacket("x", new PeerId(5)),
        new RelayPacket("blue-otter", new PeerId(6), new byte[] { 0x01, 0x00, 0xFF }),
        new RelayPacket(new string('r', 64), new PeerId(6), new byte[SignalingCodec.MaxRelayPayloadBytes]),
        new RelayedPacket(new PeerId(7), new byte[] { 0x42 }),
        new RelayedPacket(new PeerId(7), ReadOnlyMemory<byte>.Empty),
        new ErrorPacket(new PeerId(8), SignalingErrorCode.RelayLimit, "the relay of room 'x' is limited to 256 KiB/s (bursts of 1 MiB); slow down"),
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public void Codec_EveryPacket_RoundTripsAndIsInTheSignalingRange(SignalingPacket packet)
    {
        var bytes = SignalingCodec.Encode(packet);

        Assert.InRange(bytes[0], 0x40, 0x4F);
        Assert.Equal(SignalingCodec.Version, bytes[1]);
        Assert.False(SecretChat.Transport.Stun.StunMessage.IsStun(bytes));
        var decoded = SignalingCodec.Decode(bytes);
        Assert.Equal(packet.Type, decoded.Type);
        Assert.Equal(SignalingCodec.Encode(decoded), bytes);
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void Codec_EveryTruncation_IsRejectedWithSignalingFormatException(SignalingPacket packet)
    {
        var bytes = SignalingCodec.Encode(packet);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<SignalingFormatException>(() => SignalingCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Codec_TrailingBytes_AreIgnoredForLaterMinorVersions()
    {
        var bytes = SignalingCodec.Encode(new LeavePacket("x", new PeerId(5))).Concat(new byte[] { 9, 9 }).ToArray();

        Assert.Equal(new LeavePacket("x", new PeerId(5)), SignalingCodec.Decode(bytes));
    }

    [Theory]
    [InlineData("4002017800000000000000000000", "version 2")]
    [InlineData("4f01", "unknown type")]
    [InlineData("4001000000000000000000000000", "empty room")]
    [InlineData("40010178000000000000000011", "17 candidates")]
    [InlineData("40010178000000000000000001050000000000", "family 5")]
    [InlineData("4001020a0a00000000000000000000", "control character in the room")]
    [InlineData("400102c328000000000000000000", "invalid UTF-8")]
    [InlineData("42010000000000000001090000047f00000104d2", "role 9")]
    [InlineData("47010000000000000001" + "04b1" + "00", "relayed payload of 1201 bytes")]
    [InlineData("460101780000000000000001" + "0002" + "aa", "relay payload shorter than its length")]
    public void Codec_MalformedPackets_AreRejected(string hex, string why)
    {
        Assert.Throws<SignalingFormatException>(() => SignalingCodec.Decode(Convert.FromHexString(hex)));
        Assert.False(SignalingCodec.TryDecode(Convert.FromHexString(hex), out _), why);
    }

    [Fact]
    public void Codec_EncodeArgumentChecking()
    {
        Assert.Equal("packet", Assert.Throws<ArgumentNullException>(() => SignalingCodec.Encode(null!)).ParamName);
        Assert.Equal("room", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new RegisterPacket(new string('a', 65), new PeerId(1), []))).ParamName);
        Assert.Equal("candidates", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new RegisterPacket("a", new PeerId(1), Enumerable.Repeat(V4, 17).ToArray()))).ParamName);
    }

    [Fact]
    public void Codec_RelayPayload_IsCarriedByteForByteAndCheckedOnEncode()
    {
        var payload = Enumerable.Range(0, 1200).Select(i => (byte)i).ToArray();

        var bytes = SignalingCodec.Encode(new RelayPacket("x", new PeerId(1), payload));
        var relayed = Assert.IsType<RelayedPacket>(SignalingCodec.Decode(SignalingCodec.Encode(new RelayedPacket(new PeerId(1), payload))));

        Assert.Equal(2 + 2 + 8 + 2 + 1200, bytes.Length);
        Assert.Equal(payload, Assert.IsType<RelayPacket>(SignalingCodec.Decode(bytes)).Payload.ToArray());
        Assert.Equal(payload, relayed.Payload.ToArray());
        Assert.Equal("payload", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new RelayPacket("x", new PeerId(1), new byte[1201]))).ParamName);
        Assert.True(SignalingCodec.Encode(new RelayPacket(new string('r', 64), new PeerId(1), payload)).Length <= SignalingCodec.MaxRelayPacketLength);
    }

    [Fact]
    public void Codec_KeepAliveFlags_AreOptionalSoOlderKeepAlivesDecodeAsWaiting() // so a truncated matched KeepAlive is a waiting one, not an error
    {
        var waiting = SignalingCodec.Encode(new KeepAlivePacket("x", new PeerId(5)));
        var matched = SignalingCodec.Encode(new KeepAlivePacket("x", new PeerId(5), Matched: true));

        Assert.Equal(waiting.Length + 1, matched.Length);
        Assert.False(Assert.IsType<KeepAlivePacket>(SignalingCodec.Decode(waiting)).Matched);
        Assert.True(Assert.IsType<KeepAlivePacket>(SignalingCodec.Decode(matched)).Matched);
    }

    [Fact]
    public void Codec_LongReason_IsTruncatedToFit()
    {
        var bytes = SignalingCodec.Encode(new ErrorPacket(default, SignalingErrorCode.BadRequest, new string('é', 300)));

        var error = Assert.IsType<ErrorPacket>(SignalingCodec.Decode(bytes));
        Assert.EndsWith("…", error.Reason);
    }

    [Fact]
    public void Demultiplexing_SessionAndStunFirstBytes_AreNotSignaling()
    {
        for (var b = 0; b < 256; b++)
            Assert.Equal(b is >= 0x40 and <= 0x4F, SignalingCodec.IsSignaling([(byte)b, 1]));
    }
}
