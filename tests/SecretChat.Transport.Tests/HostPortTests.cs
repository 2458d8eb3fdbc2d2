namespace SecretChat.Transport.Tests;

public class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:3478", "127.0.0.1", 3478, "127.0.0.1:3478")]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0")]
    [InlineData("[::1]:9000", "::1", 9000, "[::1]:9000")]
    [InlineData("[fe80::1]:65535", "fe80::1", 65535, "[fe80::1]:65535")]
    [InlineData("localhost:80", "localhost", 80, "localhost:80")]
    [InlineData("signal.example.org:3478", "signal.example.org", 3478, "signal.example.org:3478")]
    public void Parse_ValidText_ReturnsHostAndPortAndFormatsBack(string text, string host, int port, string formatted)
    {
        var parsed = HostPort.Parse(text);

        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(formatted, parsed.ToString());
        Assert.Equal(parsed, HostPort.Parse(parsed.ToString()));
    }

    [Theory]
    [InlineData("abc", "'abc' is not HOST:PORT")]
    [InlineData("", "'' is not HOST:PORT")]
    [InlineData("host:", "'host:' is not HOST:PORT: the port must be a number from 0 to 65535")]
    [InlineData("host:http", "'host:http' is not HOST:PORT: the port must be a number from 0 to 65535")]
    [InlineData("host:65536", "'host:65536' is not HOST:PORT: the port must be a number from 0 to 65535")]
    [InlineData("host:-1", "'host:-1' is not HOST:PORT: the port must be a number from 0 to 65535")]
    [InlineData(":80", "':80' is not HOST:PORT: '' is not a host name or address")]
    [InlineData("::1:80", "'::1:80' is not HOST:PORT (write an IPv6 address in brackets, e.g. [::1]:3478)")]
    [InlineData("[::1]", "'[::1]' is not HOST:PORT (an IPv6 address looks like [::1]:3478)")]
    [InlineData("[nope]:80", "'[nope]:80' is not HOST:PORT: 'nope' is not an IPv6 address")]
    [InlineData("bad host:80", "'bad host:80' is not HOST:PORT: 'bad host' is not a host name or address")]
    public void Parse_InvalidText_ThrowsFormatExceptionSayingWhy(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => HostPort.Parse(text));

        Assert.Equal(message, error.Message);
        Assert.False(HostPort.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(HostPort.TryParse(null, out _));
    }

    [Fact]
    public void ToEndPoint_LiteralAndName_GiveIPAndDnsEndPoints()
    {
        Assert.IsType<System.Net.IPEndPoint>(HostPort.Parse("[::1]:1").ToEndPoint());
        Assert.IsType<System.Net.DnsEndPoint>(HostPort.Parse("localhost:1").ToEndPoint());
    }

    [Fact]
    public void Constructor_PortOutOfRange_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new HostPort("host", 70000));
        Assert.Equal("port", error.ParamName);
    }
    // The cases of the settings' and command line's former EndPointText, which HostPort replaced.
    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000)]
    [InlineData("example.org:1", "example.org", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData(" localhost:80 ", "localhost", 80)]
    public void TryParse_ConnectAddressWithHostAndPort_Succeeds(string text, string host, int port)
    {
        Assert.True(HostPort.TryParse(text, allowPortZero: false, out var parsed));
        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("host")]
    [InlineData("host:")]
    [InlineData(":80")]
    [InlineData("host:http")]
    [InlineData("host:+80")]
    [InlineData("host:65536")]
    [InlineData("::1:80")]
    [InlineData("[::1:80")]
    [InlineData("[nope]:80")]
    [InlineData("two words:80")]
    public void TryParse_MalformedText_FailsEvenWhenPortZeroIsAllowed(string? text) =>
        Assert.False(HostPort.TryParse(text, allowPortZero: true, out _));

    [Fact]
    public void TryParse_PortZero_OnlySucceedsWhenAllowed()
    {
        Assert.True(HostPort.TryParse("0.0.0.0:0", allowPortZero: true, out _));
        Assert.False(HostPort.TryParse("0.0.0.0:0", allowPortZero: false, out _));
    }

    [Fact]
    public void Parse_PortZeroWhereNotAllowed_SaysWhy()
    {
        var error = Assert.Throws<FormatException>(() => HostPort.Parse("example.org:0", allowPortZero: false));

        Assert.Equal("'example.org:0' is not HOST:PORT: port 0 is only for listening; give the port to reach", error.Message);
        Assert.Equal(0, HostPort.Parse("example.org:0").Port); // the one-argument Parse allows it, as ChatConnector's listeners need
    }
}
