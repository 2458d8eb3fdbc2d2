using System.Net;

namespace SecretChat.Signaling.Tests;

/// <summary>The wire for several signaling nodes (issue 18): Redirect (0x49), a rejoin's Register token, the KeepAlive answer-wanted flag.</summary>
public class SeveralNodesCodecTests
{
    private static readonly MemberToken Token = new(0x1111111111111111, 0x2222222222222222);
    private static readonly IPEndPoint HomeV4 = new(IPAddress.Parse("203.0.113.9"), 3478);
    private static readonly IPEndPoint HomeV6 = new(IPAddress.Parse("2001:db8::9"), 3478);

    [Fact]
    public void Redirect_ToIPv4Node_HasTheDocumentedBytes()
    {
        var bytes = SignalingCodec.Encode(new RedirectPacket(new PeerId(5), Token, HomeV4));

        Assert.Equal(
            "4902" + "0000000000000005" + "11111111111111112222222222222222" + "04" + "CB007109" + "0D96",
            Convert.ToHexString(bytes));
        Assert.Equal(SignalingCodec.RedirectPacketLength, bytes.Length);
        Assert.Equal(33, bytes.Length);
    }

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("2001:db8::9")]
    [InlineData("::ffff:203.0.113.9")]
    public void Redirect_RoundTrip_KeepsPeerTokenAndHomeNode(string address)
    {
        var home = new IPEndPoint(IPAddress.Parse(address), 40001);

        var decoded = Assert.IsType<RedirectPacket>(SignalingCodec.Decode(SignalingCodec.Encode(new RedirectPacket(new PeerId(0x0102030405060708), Token, home))));

        Assert.Equal(new PeerId(0x0102030405060708), decoded.Peer);
        Assert.True(Token.Matches(decoded.Token));
        var expected = home.Address.IsIPv4MappedToIPv6 ? home.Address.MapToIPv4() : home.Address;
        Assert.Equal(new IPEndPoint(expected, 40001), decoded.HomeNode);
        Assert.Equal(SignalingPacketType.Redirect, decoded.Type);
        Assert.Equal(0x49, (byte)decoded.Type);
    }

    [Fact]
    public void Redirect_EveryTruncation_IsRejectedWithSignalingFormatException()
    {
        foreach (var home in new[] { HomeV4, HomeV6 })
        {
            var bytes = SignalingCodec.Encode(new RedirectPacket(new PeerId(5), Token, home));
            for (var length = 0; length < bytes.Length; length++)
                Assert.Throws<SignalingFormatException>(() => SignalingCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Redirect_TrailingBytes_AreIgnoredAndTheLargestIsSmall()
    {
        var v6 = SignalingCodec.Encode(new RedirectPacket(new PeerId(5), Token, HomeV6));
        var padded = v6.Concat(new byte[1200]).ToArray();

        var decoded = Assert.IsType<RedirectPacket>(SignalingCodec.Decode(padded));

        Assert.Equal(HomeV6, decoded.HomeNode);
        Assert.Equal(45, v6.Length);
        Assert.True(v6.Length <= SignalingCodec.MaxPacketLength);
    }

    [Theory]
    [InlineData("4902" + "0000000000000005" + "11111111111111112222222222222222" + "05" + "CB007109" + "0D96", "family 5")]
    [InlineData("4902" + "0000000000000005" + "11111111111111112222222222222222" + "06" + "CB007109" + "0D96", "family 6 with 4 address bytes")]
    [InlineData("4901" + "0000000000000005" + "11111111111111112222222222222222" + "04" + "CB007109" + "0D96", "version 1")]
    [InlineData("4902" + "0000000000000005" + "1111111111111111", "token cut short")]
    public void Redirect_Malformed_IsRejected(string hex, string why)
    {
        Assert.Throws<SignalingFormatException>(() => SignalingCodec.Decode(Convert.FromHexString(hex)));
        Assert.False(SignalingCodec.TryDecode(Convert.FromHexString(hex), out _), why);
    }

    [Fact]
    public void Redirect_EncodeWithoutHomeNode_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => SignalingCodec.Encode(new RedirectPacket(new PeerId(5), Token, null!)));
    }

    [Fact]
    public void Register_RejoinToken_RoundTripsAndIsAbsentOnAFirstRegistration()
    {
        var first = SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), []));
        var rejoin = SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), [HomeV4], Token: Token));

        Assert.Equal(29, first.Length);
        Assert.True(Assert.IsType<RegisterPacket>(SignalingCodec.Decode(first)).Token.IsNone);
        var decoded = Assert.IsType<RegisterPacket>(SignalingCodec.Decode(rejoin));
        Assert.True(Token.Matches(decoded.Token));
        Assert.Equal([HomeV4], decoded.HostCandidates);
        Assert.Equal(29 + 7 + MemberToken.Length, rejoin.Length);
        Assert.EndsWith("11111111111111112222222222222222", Convert.ToHexString(rejoin));
    }

    [Fact]
    public void Register_TrailingBytesShorterThanAToken_AreIgnored()
    {
        var bytes = SignalingCodec.Encode(new RegisterPacket("x", new PeerId(1), [])).Concat(new byte[15]).ToArray();

        Assert.True(Assert.IsType<RegisterPacket>(SignalingCodec.Decode(bytes)).Token.IsNone);
    }

    [Theory]
    [InlineData(false, false, "00")]
    [InlineData(true, false, "01")]
    [InlineData(true, true, "03")]
    public void KeepAlive_AnswerWantedFlag_IsBitOne(bool matched, bool answerWanted, string flags)
    {
        var packet = new KeepAlivePacket("x", new PeerId(5), Token, matched, default, answerWanted);

        var bytes = SignalingCodec.Encode(packet);

        Assert.Equal("4502" + "0178" + "0000000000000005" + "11111111111111112222222222222222" + flags + new string('0', 32), Convert.ToHexString(bytes));
        Assert.Equal(packet, SignalingCodec.Decode(bytes));
    }

    [Fact]
    public void KeepAlive_AnswerToAnswerWanted_IsNeverLargerThanTheKeepAlive()
    {
        var keepAlive = SignalingCodec.Encode(new KeepAlivePacket("x", new PeerId(5), Token, Matched: true, AnswerWanted: true));
        var registeredV6 = SignalingCodec.Encode(new RegisteredPacket(new PeerId(5), Token, HomeV6));

        Assert.True(registeredV6.Length <= keepAlive.Length);
    }
}
