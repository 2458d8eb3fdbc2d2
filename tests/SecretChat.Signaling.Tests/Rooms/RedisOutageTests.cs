using System.Diagnostics;
using System.Net;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary>A node whose Redis is missing at start, or goes away while it runs.</summary>
public class RedisOutageTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;

    [Fact]
    public void Start_RedisNotListening_ThrowsOneSentenceNamingIt()
    {
        var address = $"127.0.0.1:{LoopbackPorts.UnusedTcp()}";

        var error = Assert.Throws<SignalingException>(() =>
            SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), RedisNodes.Options with { Redis = address }));

        Assert.StartsWith($"cannot reach Redis at {address}", error.Message, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Register_WhileRedisIsDown_IsRefusedAtOnceAndWorksWhenRedisIsBack()
    {
        await using var nodes = await RedisNodes.StartAsync(1);
        await using var early = new RawMember();
        RawMember.As<RegisteredPacket>(await early.RegisterAsync("before", nodes[0], Timeout));

        await nodes.Redis.StopAsync();
        await using var member = new RawMember();
        var clock = Stopwatch.StartNew();
        var refused = RawMember.As<ErrorPacket>(await member.RegisterAsync("during", nodes[0], Timeout));

        Assert.Equal(SignalingErrorCode.ServerFull, refused.Code);
        Assert.Equal("the signaling server cannot reach its room store right now; try again in a few seconds", refused.Reason);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the refusal took {clock.Elapsed}"); // a cookie round trip and a refusal, no waiting on Redis
        Assert.True(nodes.Nodes[0].Statistics.RefusedStoreUnavailable >= 1);

        // A member's KeepAlive and Relay are dropped, not answered, and nothing throws out of the node.
        early.Send(new KeepAlivePacket("before", early.Id, early.Token), nodes[0]);
        early.Send(new RelayPacket(early.Id, early.Token, new byte[] { 1 }), nodes[0]);

        // Back (empty: rooms kept only in memory by that Redis are gone), the node recovers by itself: a client that
        // tries again is served.
        await nodes.Redis.RestartAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        SignalingPacket answer;
        do
        {
            await using var again = new RawMember(); // a fresh one each time: its refusal is news, not a repeat
            answer = await again.RegisterAsync("after", nodes[0], Timeout);
            if (answer is ErrorPacket)
                await Task.Delay(250); // the client's own retry pace after a refusal
        }
        while (answer is ErrorPacket && DateTime.UtcNow < deadline);

        RawMember.As<RegisteredPacket>(answer);
    }
}
