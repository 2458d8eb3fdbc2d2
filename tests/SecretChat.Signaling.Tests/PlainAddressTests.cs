using System.Net;
using Xunit;

namespace SecretChat.Signaling.Tests;

public class PlainAddressTests
{
    [Fact]
    public void Same_MappedAndPlainIPv4_AreOneAddress()
    {
        var plain = IPAddress.Parse("127.0.0.1");
        var mapped = IPAddress.Parse("::ffff:127.0.0.1");

        Assert.True(PlainAddress.Same(mapped, plain));
        Assert.True(PlainAddress.Same(plain, mapped));
        Assert.True(PlainAddress.Same(new IPEndPoint(mapped, 4000), new IPEndPoint(plain, 4000)));
        Assert.Equal(plain, PlainAddress.Of(mapped));
        Assert.Equal(new IPEndPoint(plain, 4000), PlainAddress.Of(new IPEndPoint(mapped, 4000)));
    }

    [Fact]
    public void Same_OtherAddressOrPort_IsNotSame()
    {
        var mapped = IPAddress.Parse("::ffff:127.0.0.1");

        Assert.False(PlainAddress.Same(mapped, IPAddress.Parse("127.0.0.2")));
        Assert.False(PlainAddress.Same(mapped, IPAddress.IPv6Loopback));
        Assert.False(PlainAddress.Same(new IPEndPoint(mapped, 4000), new IPEndPoint(IPAddress.Loopback, 4001)));
    }

    [Fact]
    public void Of_PlainOrIPv6Address_IsItself()
    {
        var v6 = new IPEndPoint(IPAddress.IPv6Loopback, 4000);
        var v4 = new IPEndPoint(IPAddress.Loopback, 4000);

        Assert.Same(v6, PlainAddress.Of(v6));
        Assert.Same(v4, PlainAddress.Of(v4));
        Assert.Same(IPAddress.IPv6Loopback, PlainAddress.Of(IPAddress.IPv6Loopback));
    }
}
