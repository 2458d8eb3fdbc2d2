using System.Buffers.Binary;
using System.Net;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Tests.Stun;

public class StunMessageTests
{
    private static readonly StunTransactionId Id = StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae"));

    [Theory]
    [InlineData(0x0001, 0x001, StunClass.Request)]
    [InlineData(0x0011, 0x001, StunClass.Indication)]
    [InlineData(0x0101, 0x001, StunClass.SuccessResponse)]
    [InlineData(0x0111, 0x001, StunClass.ErrorResponse)]
    [InlineData(0x0003, 0x003, StunClass.Request)] // TURN Allocate
    [InlineData(0x3EEF, 0xFFF, StunClass.Request)]
    public void MessageType_Value_InterleavesMethodAndClassBits(int value, int method, StunClass @class)
    {
        var type = new StunMessageType((ushort)method, @class);

        Assert.Equal(value, type.Value);
        Assert.Equal(type, StunMessageType.FromValue((ushort)value));
    }

    [Theory]
    [InlineData("192.0.2.1", 32853)]
    [InlineData("2001:db8:1234:5678:11:2233:4455:6677", 1)]
    [InlineData("::ffff:10.1.2.3", 65535)]
    public void Builder_BindingResponse_RoundTripsWithFingerprintAndIntegrity(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var key = StunCredentials.ShortTermKey("secret");
        var bytes = new StunMessageBuilder(StunMessageType.BindingSuccess, Id)
            .AddXorMappedAddress(endPoint)
            .AddMappedAddress(endPoint)
            .AddSoftware("SecretChat test")
            .AddMessageIntegrity(key)
            .AddFingerprint()
            .ToArray();

        Assert.True(StunMessage.IsStun(bytes));
        var message = StunMessage.Parse(bytes);
        var expected = endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), port) : endPoint;
        Assert.Equal(expected, message.XorMappedAddress);
        Assert.Equal(expected, message.MappedAddress);
        Assert.Equal("SecretChat test", message.Software);
        Assert.Equal(Id, message.TransactionId);
        Assert.True(message.VerifyMessageIntegrity(key));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Builder_ErrorResponse_RoundTripsTheCodeAndReason()
    {
        var bytes = new StunMessageBuilder(StunMessageType.BindingError, Id)
            .AddErrorCode(420, "Unknown Attribute")
            .AddUnknownAttributes([0x7777])
            .ToArray();

        var message = StunMessage.Parse(bytes);

        Assert.Equal(new StunErrorCode(420, "Unknown Attribute"), message.ErrorCode);
    }

    [Fact]
    public void Builder_AttributeAfterFingerprint_Throws()
    {
        var builder = new StunMessageBuilder(StunMessageType.BindingRequest, Id).AddFingerprint();

        Assert.Throws<InvalidOperationException>(() => builder.AddSoftware("late"));
    }

    [Fact]
    public void Parse_UnknownComprehensionRequiredAttribute_IsReportedNotRejected()
    {
        var bytes = new StunMessageBuilder(StunMessageType.BindingRequest, Id)
            .AddAttribute(0x7777, [1, 2, 3])
            .AddAttribute(0xC057, [0, 1, 0, 0])
            .ToArray();

        var message = StunMessage.Parse(bytes);

        Assert.Equal([(ushort)0x7777], message.UnknownComprehensionRequired);
        Assert.Equal(2, message.Attributes.Count);
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Attributes[0].Value.ToArray());
    }

    [Fact]
    public void Parse_AttributesAfterMessageIntegrity_AreIgnored()
    {
        var bytes = new StunMessageBuilder(StunMessageType.BindingRequest, Id)
            .AddMessageIntegrity([1])
            .ToArray();
        // Append a SOFTWARE attribute after MESSAGE-INTEGRITY by hand (the builder refuses to).
        byte[] software = [0x80, 0x22, 0x00, 0x04, (byte)'e', (byte)'v', (byte)'i', (byte)'l'];
        var tampered = bytes.Concat(software).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(tampered.AsSpan(2), (ushort)(tampered.Length - 20));

        var message = StunMessage.Parse(tampered);

        Assert.Null(message.Software);
        Assert.True(message.VerifyMessageIntegrity([1]));
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "too short", "000100002112a442b7e7a701bc34d686fa87df" },
        { "top bits set", "400100002112a442b7e7a701bc34d686fa87dfae" },
        { "no magic cookie", "00010000deadbeefb7e7a701bc34d686fa87dfae" },
        { "length not a multiple of 4", "000100052112a442b7e7a701bc34d686fa87dfae0000000000000000" },
        { "length beyond the datagram", "000100082112a442b7e7a701bc34d686fa87dfae80220001" },
        { "attribute longer than the message", "000100082112a442b7e7a701bc34d686fa87dfae802200086162636400000000" },
        { "short fingerprint", "000100082112a442b7e7a701bc34d686fa87dfae8028000061626364" },
        { "attribute after fingerprint", "000100102112a442b7e7a701bc34d686fa87dfae802800040000000080220000" },
        { "bad address family", "000100082112a442b7e7a701bc34d686fa87dfae0020000400030000" },
        { "IPv4 address of IPv6 length", "000100182112a442b7e7a701bc34d686fa87dfae00200014000100000000000000000000000000000000000000" },
        { "error code class 7", "000100082112a442b7e7a701bc34d686fa87dfae0009000400000701" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_Malformed_ThrowsStunFormatExceptionAndTryParseIsFalse(string why, string hex)
    {
        var bytes = Convert.FromHexString(hex);

        var error = Assert.Throws<StunFormatException>(() => StunMessage.Parse(bytes));
        Assert.False(string.IsNullOrWhiteSpace(error.Message), why);
        Assert.False(StunMessage.TryParse(bytes, out _), why);
    }

    [Fact]
    public void Parse_EveryTruncationOfAValidMessage_IsRejectedCleanly()
    {
        var bytes = new StunMessageBuilder(StunMessageType.BindingSuccess, Id)
            .AddXorMappedAddress(new IPEndPoint(IPAddress.Loopback, 3478))
            .AddSoftware("x")
            .AddFingerprint()
            .ToArray();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(StunMessage.IsStun(bytes.AsSpan(0, length)));
            Assert.False(StunMessage.TryParse(bytes.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x40, 0x01, 0x04, (byte)'r', (byte)'o', (byte)'o', (byte)'m' })]
    [InlineData(new byte[] { })]
    public void IsStun_SessionAndSignalingPackets_AreNotStun(byte[] datagram) => Assert.False(StunMessage.IsStun(datagram));

    [Fact]
    public void Credentials_ArgumentChecking()
    {
        Assert.Equal("password", Assert.Throws<ArgumentNullException>(() => StunCredentials.ShortTermKey(null!)).ParamName);
        Assert.Equal("realm", Assert.Throws<ArgumentNullException>(() => StunCredentials.LongTermKey("u", null!, "p")).ParamName);
    }
}
