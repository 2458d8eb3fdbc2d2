using System.Net;
using System.Text;
using System.Text.Json;
using SecretChat.Tests;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Tests.Stun;

/// <summary>The STUN vectors in <c>tests/vectors/stun</c>: RFC 5769, real browser captures and pion's fuzz regressions.</summary>
public class StunVectorTests
{
    private static JsonElement Rfc5769(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestPaths.Vector("stun", "rfc5769.json")));
        return document.RootElement.GetProperty("vectors").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == name).Clone();
    }

    private static byte[] Hex(JsonElement vector) => Convert.FromHexString(vector.GetProperty("hex").GetString()!);

    [Fact]
    public void Rfc5769_SampleRequest_ParsesAndBothChecksVerify()
    {
        var vector = Rfc5769("sample_request");
        var message = StunMessage.Parse(Hex(vector));

        Assert.Equal(StunMessageType.BindingRequest, message.Type);
        Assert.Equal("b7e7a701bc34d686fa87dfae", message.TransactionId.ToString());
        Assert.Equal("STUN test client", message.Software);
        Assert.Equal(vector.GetProperty("username").GetString(), message.Username);
        Assert.Empty(message.UnknownComprehensionRequired); // PRIORITY is known, ICE-CONTROLLED is optional
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(StunCredentials.ShortTermKey(vector.GetProperty("password").GetString()!)));
        Assert.False(message.VerifyMessageIntegrity(StunCredentials.ShortTermKey("wrong password")));
    }

    [Theory]
    [InlineData("sample_ipv4_response")]
    [InlineData("sample_ipv6_response")]
    public void Rfc5769_Responses_GiveTheExpectedXorMappedAddress(string name)
    {
        var vector = Rfc5769(name);
        var expected = vector.GetProperty("xor_mapped_address");
        var message = StunMessage.Parse(Hex(vector));

        Assert.Equal(StunMessageType.BindingSuccess, message.Type);
        Assert.Equal(
            new IPEndPoint(IPAddress.Parse(expected.GetProperty("address").GetString()!), expected.GetProperty("port").GetInt32()),
            message.XorMappedAddress);
        Assert.Equal("test vector", message.Software);
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(StunCredentials.ShortTermKey(vector.GetProperty("password").GetString()!)));
    }

    [Fact]
    public void Rfc5769_LongTermAuthRequest_VerifiesWithTheMd5Key()
    {
        var vector = Rfc5769("sample_request_long_term_auth");
        var message = StunMessage.Parse(Hex(vector));
        var key = StunCredentials.LongTermKey(
            message.Username!, message.Realm!, vector.GetProperty("password_after_saslprep").GetString()!);

        Assert.Equal(vector.GetProperty("long_term_key_md5_hex").GetString(), Convert.ToHexStringLower(key));
        Assert.Equal(vector.GetProperty("username").GetString(), message.Username);
        Assert.Equal(vector.GetProperty("nonce").GetString(), message.Nonce);
        Assert.Equal("example.org", message.Realm);
        Assert.False(message.HasFingerprint);
        Assert.True(message.VerifyMessageIntegrity(key));
    }

    [Fact]
    public void Rfc5769_EveryMessage_PassesTheDemultiplexingCheck()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestPaths.Vector("stun", "rfc5769.json")));
        var vectors = document.RootElement.GetProperty("vectors").EnumerateArray().ToList();

        Assert.Equal(4, vectors.Count);
        Assert.All(vectors, v => Assert.True(StunMessage.IsStun(Hex(v))));
    }

    [Fact]
    public void Rfc5769_FlippingAnyBitOfTheRequest_FailsIntegrityOrFingerprint()
    {
        var vector = Rfc5769("sample_request");
        var bytes = Hex(vector);
        var key = StunCredentials.ShortTermKey(vector.GetProperty("password").GetString()!);
        for (var i = StunMessage.HeaderLength; i < bytes.Length; i++)
        {
            bytes[i] ^= 0x01;
            if (StunMessage.TryParse(bytes, out var message))
                Assert.False(message.VerifyFingerprint() && message.VerifyMessageIntegrity(key), $"byte {i}");
            bytes[i] ^= 0x01;
        }
    }

    public static TheoryData<string, string> BrowserCaptures()
    {
        var lines = File.ReadAllLines(TestPaths.Vector("stun", "pion_frombrowsers.csv"))
            .Where(line => !line.StartsWith('#') && line.Length > 0)
            .Skip(1); // the column header
        var data = new TheoryData<string, string>();
        foreach (var line in lines)
        {
            var columns = line.Split(',');
            data.Add(columns[3] + " " + columns[4], columns[1]);
        }

        return data;
    }

    [Fact]
    public void Browsers_CapturesFile_HoldsFourteen() => Assert.Equal(14, BrowserCaptures().Count);

    [Theory]
    [MemberData(nameof(BrowserCaptures))]
    public void Browsers_EachCapture_ParsesAsABindingRequestAndItsFingerprintVerifies(string browser, string base64)
    {
        var bytes = Convert.FromBase64String(base64);

        Assert.True(StunMessage.IsStun(bytes), browser);
        var message = StunMessage.Parse(bytes);
        Assert.Equal(StunMessageType.BindingRequest, message.Type);
        if (message.HasFingerprint)
            Assert.True(message.VerifyFingerprint(), browser);
    }

    [Fact]
    public void Browsers_FirefoxCaptures_CarryAFingerprintThatVerifies()
    {
        var withFingerprint = BrowserCaptures()
            .Select(row => StunMessage.Parse(Convert.FromBase64String((string)row[1])))
            .Where(m => m.HasFingerprint)
            .ToList();

        Assert.Equal(5, withFingerprint.Count);
        Assert.All(withFingerprint, m => Assert.True(m.VerifyFingerprint()));
    }

    [Fact]
    public void Chrome_Ex1_ParsesAndSkipsTheUnknownOptionalAttribute()
    {
        var message = StunMessage.Parse(File.ReadAllBytes(TestPaths.Vector("stun", "pion_ex1_chrome.stun")));

        Assert.Equal(StunMessageType.BindingRequest, message.Type);
        var unknown = Assert.Single(message.Attributes);
        Assert.Equal(0x802f, unknown.Type);
        Assert.Equal("http://localhost:3000/", Encoding.UTF8.GetString(unknown.Value.Span));
        Assert.Empty(message.UnknownComprehensionRequired);
    }

    public static TheoryData<string> FuzzRegressions()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestPaths.Vector("stun", "pion_fuzz_regressions"), "*.bin").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void Fuzz_RegressionFolder_IsNotEmpty() => Assert.Equal(19, FuzzRegressions().Count);

    [Theory]
    [MemberData(nameof(FuzzRegressions))]
    public void Fuzz_EachRegression_IsAcceptedOrRejectedWithoutUnexpectedExceptions(string file)
    {
        var bytes = File.ReadAllBytes(TestPaths.Vector("stun", "pion_fuzz_regressions", file));

        var parsed = StunMessage.TryParse(bytes, out var message);
        Assert.Equal(parsed, message is not null);
        try
        {
            var strict = StunMessage.Parse(bytes);
            Assert.True(parsed);
            _ = strict.VerifyFingerprint();
            _ = strict.VerifyMessageIntegrity([1, 2, 3]);
        }
        catch (StunFormatException)
        {
            Assert.False(parsed && StunMessage.IsStun(bytes));
        }
    }
}
