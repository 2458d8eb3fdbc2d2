using SecretChat.Tests;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary><see cref="SignalingServer.CheckHealth"/>, which <c>/health</c> reports: a node is unhealthy while its Redis is away.</summary>
public class RedisHealthTests
{
    [RedisFact]
    public async Task CheckHealth_RedisStopsAndComesBack_IsAReasonWhileItIsAwayAndNullAgainAfter()
    {
        await using var nodes = await RedisNodes.StartAsync(1);
        var node = nodes.Nodes[0];
        Assert.Null(node.CheckHealth());

        await nodes.Redis.StopAsync();
        var away = node.CheckHealth();
        Assert.NotNull(away);
        Assert.StartsWith("the room store does not answer", away, StringComparison.Ordinal);

        // The multiplexer reconnects by itself: healthy again within the reconnect pace, without a restart of the node.
        await nodes.Redis.RestartAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? health;
        while ((health = node.CheckHealth()) is not null && DateTime.UtcNow < deadline)
            await Task.Delay(250); // polling a probe, as a load balancer does
        Assert.Null(health);
    }

    [Fact]
    public async Task CheckHealth_InProcessRooms_IsAlwaysNull()
    {
        await using var server = SignalingServer.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));

        Assert.Null(server.CheckHealth());
    }
}
