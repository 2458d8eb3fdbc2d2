using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Simulation;

namespace SecretChat.Transport.Tests.Simulation;

/// <summary>Each end of a simulated link as an <see cref="IDatagramTransport"/>: addresses in, addresses out.</summary>
public class SimulatedEndpointTransportTests
{
    private static readonly IPEndPoint AliceAddress = new(IPAddress.Loopback, 7001);
    private static readonly IPEndPoint BobAddress = new(IPAddress.Loopback, 7002);

    [Fact]
    public async Task SendAsync_ToThePeersAddress_ArrivesFromThisEndsAddress()
    {
        var scheduler = new TestScheduler();
        var link = new SimulatedLink(scheduler, new SimulatedLinkOptions(), AliceAddress, BobAddress);
        IDatagramTransport alice = link.A;
        IDatagramTransport bob = link.B;
        var atBob = new List<(IPEndPoint From, byte[] Payload)>();
        using var _ = bob.Datagrams.Subscribe(d => atBob.Add((d.RemoteEndPoint, d.Payload.ToArray())));

        await alice.SendAsync(new byte[] { 1, 2 }, BobAddress);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var (from, payload) = Assert.Single(atBob);
        Assert.Equal(AliceAddress, from);
        Assert.Equal(new byte[] { 1, 2 }, payload);
        Assert.Equal((AliceAddress, BobAddress), (alice.LocalEndPoint, bob.LocalEndPoint));
        Assert.Equal(SecretChat.Transport.TransportKind.InMemory, alice.Transport);
    }

    [Fact]
    public async Task SendAsync_ToAnotherAddress_IsLostLikeADatagramWithNoRoute()
    {
        var scheduler = new TestScheduler();
        var link = new SimulatedLink(scheduler, new SimulatedLinkOptions(), AliceAddress, BobAddress);
        var atBob = 0;
        using var _ = link.B.Datagrams.Subscribe(_ => atBob++);

        await link.A.SendAsync(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, 7003));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        Assert.Equal(0, atBob);
        Assert.Equal(0, link.Statistics.Sent);
    }

    [Fact]
    public void Constructor_SameAddressForBothEnds_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new SimulatedLink(new TestScheduler(), new SimulatedLinkOptions(), AliceAddress, AliceAddress));

        Assert.Equal("addressB", error.ParamName);
    }

    [Fact]
    public void Constructor_NoAddresses_GivesEachEndItsDefault()
    {
        var link = new SimulatedLink(new TestScheduler(), new SimulatedLinkOptions());

        Assert.Equal(SimulatedLink.DefaultAddressA, link.A.LocalEndPoint);
        Assert.Equal(SimulatedLink.DefaultAddressB, link.B.LocalEndPoint);
    }
}
