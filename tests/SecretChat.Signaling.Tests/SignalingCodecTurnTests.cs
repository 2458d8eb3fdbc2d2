using System.Net;

namespace SecretChat.Signaling.Tests;

/// <summary>The TurnCredentials and TurnAddress packets: layout, limits and hostile input.</summary>
public class SignalingCodecTurnTests
{
    private static readonly IPEndPoint V4 = new(IPAddress.Parse("192.0.2.10"), 3478);
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8::1"), 49152);
    private static readonly MemberToken Token = new(0x1111111111111111, 0x2222222222222222);

    public static TheoryData<SignalingPacket> Packets() => new()
    {
        new TurnCredentialsPacket(new PeerId(1), Token, V4, "1764554400:00000000000000ab", "ZPz4E1d0MC5FMTN7+WPUIhhh9Nk="),
        new TurnCredentialsPacket(new PeerId(1), Token, V6, new string('u', SignalingCodec.MaxTurnUsernameBytes), new string('p', SignalingCodec.MaxTurnPasswordBytes)),
        new TurnAddressPacket(new PeerId(2), Token, V4),
        new TurnAddressPacket(new PeerId(2), Token, V6),
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public void Codec_TurnPackets_RoundTripInTheSignalingRange(SignalingPacket packet)
    {
        var bytes = SignalingCodec.Encode(packet);

        Assert.InRange(bytes[0], 0x40, 0x4F);
        Assert.True(bytes.Length <= SignalingCodec.MaxPacketLength);
        var decoded = SignalingCodec.Decode(bytes);
        Assert.Equal(packet.ToString(), decoded.ToString());
        Assert.Equal(bytes, SignalingCodec.Encode(decoded));
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void Codec_TurnPacketTruncations_AreRejected(SignalingPacket packet)
    {
        var bytes = SignalingCodec.Encode(packet);
        for (var length = 0; length < bytes.Length; length++)
            Assert.False(SignalingCodec.TryDecode(bytes.AsSpan(0, length), out _), $"{length} of {bytes.Length} bytes");
    }

    [Theory]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "00" + "01" + "70", "empty username")]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "01" + "75" + "00", "empty password")]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "81", "username of 129 bytes")]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "01" + "75" + "41", "password of 65 bytes")]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "01" + "0a" + "0170", "control character in the username")]
    [InlineData("4a02" + "0000000000000001" + "11111111111111112222222222222222" + "04c000020a0d96" + "01" + "ff" + "0170", "invalid UTF-8")]
    [InlineData("4b02" + "0000000000000001" + "11111111111111112222222222222222" + "07c000020a0d96", "family 7")]
    public void Codec_MalformedTurnPackets_AreRejected(string hex, string why)
    {
        Assert.False(SignalingCodec.TryDecode(Convert.FromHexString(hex), out _), why);
    }

    [Fact]
    public void Codec_TurnCredentialsOutOfRange_AreRefusedOnEncode()
    {
        Assert.Equal("username", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new TurnCredentialsPacket(new PeerId(1), Token, V4, "", "p"))).ParamName);
        Assert.Equal("username", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new TurnCredentialsPacket(new PeerId(1), Token, V4, new string('u', 129), "p"))).ParamName);
        Assert.Equal("password", Assert.Throws<ArgumentException>(() => SignalingCodec.Encode(new TurnCredentialsPacket(new PeerId(1), Token, V4, "u", "p\n"))).ParamName);
    }

    [Theory]
    [InlineData("1764554400:00000000000000ab", 1764554400L)]
    [InlineData("0:x", 0L)]
    [InlineData("x:1764554400", null)]
    [InlineData("1764554400", null)]
    [InlineData("-5:x", null)]
    [InlineData("99999999999999999999:x", null)]
    public void TurnCredentialsPacket_Expires_IsTheUsernamesLeadingUnixTime(string username, long? seconds)
    {
        var packet = new TurnCredentialsPacket(new PeerId(1), Token, V4, username, "p");

        Assert.Equal(seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null, packet.Expires);
    }
}
