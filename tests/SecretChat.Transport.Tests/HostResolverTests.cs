using System.Net;

namespace SecretChat.Transport.Tests;

public sealed class HostResolverTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task ResolveAsync_AddressLiteral_IsItsOwnAnswerWithoutAsking(string literal)
    {
        var addresses = await HostResolver.Default.ResolveAsync(literal);

        Assert.Equal([IPAddress.Parse(literal)], addresses);
    }

    [Fact]
    public void PreferIPv4_MixedFamilies_TakesTheFirstIPv4()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.7"), HostResolver.PreferIPv4([IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.7"), IPAddress.Parse("192.0.2.8")]));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), HostResolver.PreferIPv4([IPAddress.Parse("2001:db8::1")]));
        Assert.Null(HostResolver.PreferIPv4([]));
    }
}
