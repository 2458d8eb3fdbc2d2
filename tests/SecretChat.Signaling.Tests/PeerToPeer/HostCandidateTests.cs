using System.Net;
using SecretChat.Signaling.PeerToPeer;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>What a p2p peer announces as its host candidates follows the address its socket is bound to.</summary>
public sealed class HostCandidateTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("127.0.0.1", "203.0.113.1")]
    public void HostCandidates_BoundToOneAddress_AnnounceOnlyIt(string bound, string server)
    {
        var socket = new IPEndPoint(IPAddress.Parse(bound), 40000);

        var candidates = HostCandidates.Of(socket, IPAddress.Parse(server));

        Assert.Equal([socket], candidates);
    }

    [Fact]
    public void HostCandidates_WildcardWithServerOnLoopback_AnnounceLoopbackFirst()
    {
        var candidates = HostCandidates.Of(new IPEndPoint(IPAddress.Any, 40000), IPAddress.Loopback);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40000), candidates[0]);
        Assert.All(candidates, c => Assert.Equal(40000, c.Port));
        Assert.All(candidates, c => Assert.Equal(IPAddress.Loopback.AddressFamily, c.AddressFamily));
    }

    [Fact]
    public void HostCandidates_DualStackWildcard_AnnounceIPv6BeforeIPv4()
    {
        var candidates = HostCandidates.Of(new IPEndPoint(IPAddress.IPv6Any, 40000), IPAddress.Parse("203.0.113.1"));

        Assert.True(candidates.Count <= 8);
        Assert.All(candidates, c => Assert.Equal(40000, c.Port));
        Assert.All(candidates, c => Assert.False(IPAddress.IsLoopback(c.Address) || c.Address.IsIPv6LinkLocal || c.Address.IsIPv4MappedToIPv6));
        var firstIPv4 = candidates.FindIndex(c => c.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        if (firstIPv4 >= 0)
            Assert.All(candidates.Skip(firstIPv4), c => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, c.AddressFamily));
    }

    [Fact]
    public void HostCandidates_IPv4Wildcard_AnnounceNoIPv6()
    {
        var candidates = HostCandidates.Of(new IPEndPoint(IPAddress.Any, 40000), IPAddress.Parse("203.0.113.1"));

        Assert.All(candidates, c => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, c.AddressFamily));
    }

    [Fact]
    public void HostCandidates_DualStackWithServerOnIPv4Loopback_AnnounceIPv4LoopbackFirst()
    {
        var candidates = HostCandidates.Of(new IPEndPoint(IPAddress.IPv6Any, 40000), IPAddress.Loopback);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40000), candidates[0]);
    }
}
