using System.Net;
using SecretChat.Security;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests;

public class SignalingCodecTests
{
    private static readonly IPEndPoint V4 = new(IPAddress.Parse("203.0.113.7"), 40000);
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8::1"), 5000);
    private static readonly MemberToken Token = new(0x1111111111111111, 0x2222222222222222);

    public static TheoryData<SignalingPacket> Packets() => new()
    {
        new RegisterPacket("blue-otter", new PeerId(0x0102030405060708), [V4, V6]),
        new RegisterPacket("ü", new PeerId(1), [], new AddressCookie(0x0102030405060708, 0x090a0b0c0d0e0f10)),
        new RegisteredPacket(new PeerId(42), Token, V4),
        new PeerInfoPacket(new PeerId(1), Token, PeerRole.Initiator, TimeSpan.FromMilliseconds(250), V4, new PeerId(2), V6, [V4, V6]),
        new ErrorPacket(new PeerId(3), SignalingErrorCode.RoomFull, "room 'x' is full"),
        new LeavePacket("x", new PeerId(4), Token),
        new KeepAlivePacket("x", new PeerId(5), Token),
        new KeepAlivePacket("x", new PeerId(5), Token, Matched: true, new AddressCookie(1, 2)),
        new RelayPacket(new PeerId(6), Token, new byte[] { 0x01, 0x00, 0xFF }),
        new RelayPacket(new PeerId(6), Token, new byte[SignalingCodec.MaxRelayPayloadBytes]),
        new RelayedPacket(Token, new PeerId(7), new byte[] { 0x42 }),
        new RelayedPacket(Token, new PeerId(7), ReadOnlyMemory<byte>.Empty),
        new CookiePacket(new PeerId(9), new AddressCookie(3, 4)),
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
        var bytes = SignalingCodec.Encode(new LeavePacket("x", new PeerId(5), Token)).Concat(new byte[] { 9, 9 }).ToArray();

        Assert.Equal(new LeavePacket("x", new PeerId(5), Token), SignalingCodec.Decode(bytes));
    }

    [Theory]
    [InlineData("4003017800000000000000000000", "version 3")]
    [InlineData("4f02", "unknown type")]
    [InlineData("400200" + "0000000000000001" + "00000000000000000000000000000000" + "00", "empty room")]
    [InlineData("40020178" + "0000000000000001" + "00000000000000000000000000000000" + "11", "17 candidates")]
    [InlineData("40020178" + "0000000000000001" + "00000000000000000000000000000000" + "01050000000000", "family 5")]
    [InlineData("4002020a0a" + "0000000000000001" + "00000000000000000000000000000000" + "00", "control character in the room")]
    [InlineData("400202c328" + "0000000000000001" + "00000000000000000000000000000000" + "00", "invalid UTF-8")]
    [InlineData("4202" + "0000000000000001" + "00000000000000000000000000000000" + "090000047f00000104d2", "role 9")]
    [InlineData("4702" + "00000000000000000000000000000000" + "0000000000000001" + "04b1" + "00", "relayed payload of 1201 bytes")]
    [InlineData("4602" + "0000000000000001" + "00000000000000000000000000000000" + "0002" + "aa", "relay payload shorter than its length")]
    [InlineData("4402" + "0178" + "0000000000000001" + "00000000", "leave without its whole token")]
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

        var bytes = SignalingCodec.Encode(new RelayPacket(new PeerId(1), Token, payload));
        var relayed = Assert.IsType<RelayedPacket>(SignalingCodec.Decode(SignalingCodec.Encode(new RelayedPacket(Token, new PeerId(1), payload))));

        Assert.Equal(2 + 8 + 16 + 2 + 1200, bytes.Length);
        Assert.Equal(SignalingCodec.RelayOverhead + 1200, bytes.Length);
        Assert.Equal(Token, relayed.Token);
        Assert.Equal(payload, Assert.IsType<RelayPacket>(SignalingCodec.Decode(bytes)).Payload.ToArray());
        Assert.Equal(payload, relayed.Payload.ToArray());
        Assert.Equal("payload", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new RelayPacket(new PeerId(1), Token, new byte[1201]))).ParamName);
        Assert.True(SignalingCodec.Encode(new RelayPacket(new PeerId(1), Token, payload)).Length <= SignalingCodec.MaxRelayPacketLength);
    }

    [Fact]
    public void Codec_CookiePacket_IsSmallerThanEveryPacketThatCanDrawIt()
    {
        var cookie = SignalingCodec.Encode(new CookiePacket(new PeerId(1), new AddressCookie(1, 2)));
        var shortestRegister = SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), []));
        var shortestKeepAlive = SignalingCodec.Encode(new KeepAlivePacket("x", new PeerId(1), default));

        Assert.Equal(SignalingCodec.CookiePacketLength, cookie.Length);
        Assert.Equal(29, shortestRegister.Length);
        Assert.Equal(45, shortestKeepAlive.Length);
        Assert.True(cookie.Length < shortestRegister.Length);
        Assert.True(cookie.Length < shortestKeepAlive.Length);
    }

    [Fact]
    public void Codec_LargestPackets_AreWithinMaxPacketLength()
    {
        var sixteen = Enumerable.Range(0, 16).Select(i => new IPEndPoint(IPAddress.Parse($"2001:db8::{i + 1}"), 5000 + i)).ToArray();
        var register = SignalingCodec.Encode(new RegisterPacket(new string('r', 64), new PeerId(1), sixteen, new AddressCookie(1, 1), Token));
        var peerInfo = SignalingCodec.Encode(new PeerInfoPacket(new PeerId(1), Token, PeerRole.Initiator, TimeSpan.Zero, V6, new PeerId(2), V6, sixteen));

        Assert.Equal(SignalingCodec.MaxPacketLength, register.Length);
        Assert.True(peerInfo.Length <= SignalingCodec.MaxPacketLength);
    }

    [Fact]
    public void MemberToken_New_IsRandom128BitsAndComparesOnlyEqualTokens()
    {
        var tokens = Enumerable.Range(0, 100).Select(_ => MemberToken.New()).ToList();

        Assert.Equal(100, tokens.Distinct().Count());
        Assert.All(tokens, t => Assert.False(t.IsNone));
        Assert.True(tokens[0].Matches(tokens[0]));
        Assert.False(tokens[0].Matches(tokens[1]));
        Assert.False(tokens[0].Matches(tokens[0] with { Low = tokens[0].Low ^ 1 }));
        Assert.False(default(MemberToken).Matches(default)); // "none" is never a valid token, even against itself
        Assert.Equal("token", tokens[0].ToString()); // never the secret itself in a log line
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
