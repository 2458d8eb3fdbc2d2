using System.Diagnostics;
using System.Net;

namespace SecretChat.Signaling.Tests;

/// <summary>The relay through the real server on a loopback port, with real clients.</summary>
public class SignalingServerRelayTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Relay_BurstBothWays_ArrivesIntactAndInOrder()
    {
        await using var server = SignalingServer.Start(AnyLoopback);
        await using var alice = new LoopbackPeer(server.LocalEndPoint);
        await using var bob = new LoopbackPeer(server.LocalEndPoint);
        await MatchAsync(alice, bob, "relay-both-ways");
        const int Count = 40;
        var toBob = Collect(bob.Rendezvous.Relayed, Count);
        var toAlice = Collect(alice.Rendezvous.Relayed, Count);
        var fromAlice = Datagrams(Count, seed: 1);
        var fromBob = Datagrams(Count, seed: 2);

        for (var i = 0; i < Count; i++)
        {
            await alice.Rendezvous.RelayAsync(fromAlice[i]);
            await bob.Rendezvous.RelayAsync(fromBob[i]);
        }

        Assert.Equal(fromAlice, await toBob.WaitAsync(Timeout));
        Assert.Equal(fromBob, await toAlice.WaitAsync(Timeout));
        Assert.Equal(2 * Count, server.Statistics.RelayPacketsForwarded);
        Assert.Equal(0, alice.Unclaimed + bob.Unclaimed); // every relayed datagram and answer was claimed by TryHandle
    }

    [Fact]
    public async Task Relay_Flood_StaysWithinTheRoomsRateTellsTheSenderAndStunIsStillAnswered()
    {
        // 10 full datagrams a second; the per-source signaling rate is raised because every test socket is 127.0.0.1 and the
        // 80 STUN requests that pace the flood would otherwise be throttled (relays themselves are not counted there).
        var options = new SignalingServerOptions { RelayBytesPerSecond = 12_000, RelayBurstBytes = 12_000, RatePerSecond = 10_000, RateBurst = 10_000 };
        await using var server = SignalingServer.Start(AnyLoopback, options);
        await using var alice = new LoopbackPeer(server.LocalEndPoint);
        await using var bob = new LoopbackPeer(server.LocalEndPoint);
        await MatchAsync(alice, bob, "relay-flood");
        var notices = new List<string>();
        var firstNotice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = alice.Rendezvous.RelayNotices.Subscribe(n =>
        {
            lock (notices) notices.Add(n);
            firstNotice.TrySetResult(n);
        });
        var received = new ArrivalCount();
        using var __ = bob.Rendezvous.Relayed.Subscribe(_ => received.Increment());
        var payload = new byte[1200];
        var clock = Stopwatch.StartNew();

        const int Bursts = 80, PerBurst = 25;
        for (var burst = 0; burst < Bursts; burst++)
        {
            for (var i = 0; i < PerBurst; i++)
                await alice.Rendezvous.RelayAsync(payload);

            // One receive loop handles datagrams in order: once this is answered, the burst has been handled, and a burst
            // fits the socket buffers, so the server sees every relay.
            var binding = await alice.Stun.BindAsync(server.LocalEndPoint).WaitAsync(Timeout);
            Assert.Equal(alice.LocalEndPoint, binding.MappedAddress);
        }

        var elapsed = clock.Elapsed.TotalSeconds;

        Assert.Equal("the relay of room 'relay-flood' is limited to 11.72 KiB/s (bursts of 11.72 KiB); slow down", await firstNotice.Task.WaitAsync(Timeout));
        var forwarded = server.Statistics.RelayPacketsForwarded;
        Assert.InRange(forwarded, 10, 10 + (10 * elapsed) + 1);
        Assert.Equal(Bursts * PerBurst, forwarded + server.Statistics.RelayDroppedRate);
        Assert.True(server.Statistics.StunRequestsAnswered >= Bursts); // more if a loaded machine made the STUN client retransmit
        lock (notices) Assert.InRange(notices.Count, 1, (int)elapsed + 2); // one a second at most, never one per datagram
        Assert.InRange(server.Statistics.RelayNoticesSent, 1, (int)elapsed + 2);

        // Everything the server forwarded reaches bob, and nothing else does: bob's one receive loop handles datagrams in
        // order, so once the server has answered bob, whatever it sent bob before has been counted.
        await received.WhenAtLeastAsync(forwarded).WaitAsync(Timeout);
        await bob.Stun.BindAsync(server.LocalEndPoint).WaitAsync(Timeout);
        Assert.Equal(forwarded, received.Value);
    }

    private static async Task MatchAsync(LoopbackPeer first, LoopbackPeer second, string room)
    {
        var waiting = first.Rendezvous.RegisterAsync(room, []);
        await second.Rendezvous.RegisterAsync(room, []).WaitAsync(Timeout);
        await waiting.WaitAsync(Timeout);
    }

    private static Task<List<byte[]>> Collect(IObservable<ReadOnlyMemory<byte>> relayed, int count)
    {
        var done = new TaskCompletionSource<List<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var list = new List<byte[]>();
        relayed.Subscribe(payload =>
        {
            list.Add(payload.ToArray()); // valid only during OnNext
            if (list.Count == count) done.TrySetResult(list);
        });
        return done.Task;
    }

    private static List<byte[]> Datagrams(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var datagram = new byte[random.Next(1, SignalingCodec.MaxRelayPayloadBytes + 1)];
            random.NextBytes(datagram);
            datagram[0] = (byte)i;
            return datagram;
        }).ToList();
    }
}
