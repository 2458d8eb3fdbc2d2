using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Pseudo;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>
/// IPv6 and dual-stack (issue 19): one server socket for both families, one peer socket for both, candidates of both,
/// IPv6 first. Everything on 127.0.0.1 and ::1: a socket bound to <c>::</c> listens on every address, but the tests
/// only ever send to the two loopbacks.
/// </summary>
public sealed class DualStackTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;

    [Fact]
    public async Task UdpDatagramSocket_DualStackHearsIPv4_ReportsThePlainIPv4Source()
    {
        await using var dual = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var heard = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = dual.Datagrams.Subscribe(d => heard.TrySetResult(d.RemoteEndPoint));

        await sender.SendToAsync(new byte[] { 1, 2, 3 }, new IPEndPoint(IPAddress.Loopback, dual.LocalEndPoint.Port));
        var source = await heard.Task.WaitAsync(Timeout);

        Assert.Equal(sender.LocalEndPoint, source);
        Assert.Equal(AddressFamily.InterNetwork, source.AddressFamily);
    }

    [Fact]
    public async Task SignalingServer_DualStackWildcard_MatchesAnIPv4PeerWithAnIPv6Peer()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.IPv6Any, 0));
        var port = server.LocalEndPoint.Port;
        await using var bob = PeerSocket.Bind(IPAddress.Loopback, new IPEndPoint(IPAddress.Loopback, port), DefaultScheduler.Instance);
        await using var alice = PeerSocket.Bind(IPAddress.IPv6Loopback, new IPEndPoint(IPAddress.IPv6Loopback, port), DefaultScheduler.Instance);

        var bobWaits = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bobMatch = bob.Rendezvous.RegisterAsync("dual", [bob.LocalEndPoint], new Waiting(bobWaits));
        Assert.Equal(bob.LocalEndPoint, await bobWaits.Task.WaitAsync(Timeout));
        var aliceMatch = await alice.Rendezvous.RegisterAsync("dual", [alice.LocalEndPoint]).WaitAsync(Timeout);
        var bobSees = await bobMatch.WaitAsync(Timeout);

        // Each is seen at the address of the family it asked by: 127.0.0.1 plain (not ::ffff:127.0.0.1), and ::1.
        Assert.Equal(alice.LocalEndPoint, aliceMatch.ReflexiveAddress);
        Assert.Equal(bob.LocalEndPoint, aliceMatch.PeerReflexiveAddress);
        Assert.Equal(alice.LocalEndPoint, bobSees.PeerReflexiveAddress);
        Assert.Equal([alice.LocalEndPoint], bobSees.PeerHostCandidates);
    }

    [Fact]
    public async Task PeerSocket_DualStackWithServersOfBothFamilies_RegistersAtTheIPv4OneAndTakesItsAnswers()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.IPv6Any, 0));
        var port = server.LocalEndPoint.Port;
        IPEndPoint[] servers = [new(IPAddress.Loopback, port), new(IPAddress.IPv6Loopback, port)];
        await using var bob = PeerSocket.Bind(IPAddress.IPv6Any, servers, DefaultScheduler.Instance);
        await using var alice = PeerSocket.Bind(IPAddress.IPv6Loopback, servers[1], DefaultScheduler.Instance);

        var bobWaits = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bobMatch = bob.Rendezvous.RegisterAsync("mixed", [], new Waiting(bobWaits));
        var bobSeen = await bobWaits.Task.WaitAsync(Timeout);
        await alice.Rendezvous.RegisterAsync("mixed", []).WaitAsync(Timeout);
        var bobSees = await bobMatch.WaitAsync(Timeout);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, bob.LocalEndPoint.Port), bobSeen);
        Assert.Equal(servers[0], bob.Rendezvous.Server);
        Assert.Equal(alice.LocalEndPoint, bobSees.PeerReflexiveAddress);
        Assert.Equal(0, bob.Dropped);
    }

    [Fact]
    public async Task PunchAttempt_TwoPeersOnIPv6Loopback_GoDirectOverIPv6()
    {
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var options = PeerToPeerOptions.Default with { RelayFallback = null };
        await using var bob = PunchAttempt.Start(server.LocalEndPoint, IPAddress.IPv6Loopback, DefaultScheduler.Instance, options);
        await using var alice = PunchAttempt.Start(server.LocalEndPoint, IPAddress.IPv6Loopback, DefaultScheduler.Instance, options);
        var bobMeets = bob.MeetAsync("v6", null, CancellationToken.None);
        var aliceMeets = alice.MeetAsync("v6", null, CancellationToken.None);
        await Task.WhenAll(bobMeets, aliceMeets).WaitAsync(Timeout);

        var bobPunch = bob.PunchAsync(new PseudoSecurity(), bob.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var alicePunch = alice.PunchAsync(new PseudoSecurity(), alice.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var results = await Task.WhenAll(bobPunch, alicePunch).WaitAsync(Timeout);

        // Bound to ::1, each announces ::1 only, and the path is IPv6 end to end.
        Assert.All(alice.PeerCandidates, c => Assert.Equal(IPAddress.IPv6Loopback, c.Address));
        Assert.All(results, r => Assert.False(r.Relayed));
        Assert.All(results, r => Assert.Equal(IPAddress.IPv6Loopback, r.Channel.RemoteEndPoint!.Address));
        foreach (var result in results)
            await result.Channel.DisposeAsync();
    }

    [Fact]
    public void PunchAttempt_IPv4AddressWithAnIPv6Server_RefusedBeforeAnythingIsSent()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PunchAttempt.Start(new IPEndPoint(IPAddress.IPv6Loopback, 3478), IPAddress.Loopback, DefaultScheduler.Instance));

        Assert.Contains("different address families", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PeerSocket_CanReach_DualStackReachesBothFamiliesAndOneFamilyOnlyItself()
    {
        var v4 = new IPEndPoint(IPAddress.Loopback, 3478);
        var v6 = new IPEndPoint(IPAddress.IPv6Loopback, 3478);

        Assert.True(PeerSocket.CanReach(IPAddress.IPv6Any, v4));
        Assert.True(PeerSocket.CanReach(IPAddress.IPv6Any, v6));
        Assert.True(PeerSocket.CanReach(IPAddress.Any, v4));
        Assert.False(PeerSocket.CanReach(IPAddress.Any, v6));
        Assert.False(PeerSocket.CanReach(IPAddress.IPv6Loopback, v4));
        Assert.False(PeerSocket.CanReach(IPAddress.Loopback, v6));
    }

    private sealed class Waiting(TaskCompletionSource<IPEndPoint> seen) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => seen.TrySetResult(value);
    }
}
