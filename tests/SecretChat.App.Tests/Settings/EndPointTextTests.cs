using SecretChat.App.Settings;

namespace SecretChat.App.Tests.Settings;

public class EndPointTextTests
{
    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000)]
    [InlineData("example.org:1", "example.org", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData(" localhost:80 ", "localhost", 80)]
    public void TryParse_WithHostAndPort_Succeeds(string text, string host, int port)
    {
        Assert.True(EndPointText.TryParse(text, allowPortZero: false, out var h, out var p));
        Assert.Equal(host, h);
        Assert.Equal(port, p);
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
    public void TryParse_WithMalformedText_Fails(string? text) =>
        Assert.False(EndPointText.TryParse(text, allowPortZero: true, out _, out _));

    [Fact]
    public void TryParse_WithPortZero_OnlySucceedsWhenAllowed()
    {
        Assert.True(EndPointText.TryParse("0.0.0.0:0", allowPortZero: true, out _, out _));
        Assert.False(EndPointText.TryParse("0.0.0.0:0", allowPortZero: false, out _, out _));
    }
}
