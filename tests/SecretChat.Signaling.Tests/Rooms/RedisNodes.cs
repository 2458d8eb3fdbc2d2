using System.Net;
using StackExchange.Redis;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary>A redis-server of the test's own and <c>Count</c> signaling nodes on 127.0.0.1 that share their rooms through it.</summary>
internal sealed class RedisNodes : IAsyncDisposable
{
    /// <summary>Everything comes from 127.0.0.1 in these tests: the per-source limits are set out of the way unless a test sets them.</summary>
    public static readonly SignalingServerOptions Options = new()
    {
        RatePerSecond = 1_000_000,
        RateBurst = 1_000_000,
        MaxRoomsPerSource = 1_000_000,
    };

    private readonly List<SignalingServer> _nodes = [];
    private ConnectionMultiplexer? _inspector;

    private RedisNodes(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }

    public IReadOnlyList<SignalingServer> Nodes => _nodes;

    public IPEndPoint this[int node] => _nodes[node].LocalEndPoint;

    public static async Task<RedisNodes> StartAsync(int count, SignalingServerOptions? options = null)
    {
        var nodes = new RedisNodes(await RedisServer.StartAsync());
        try
        {
            for (var i = 0; i < count; i++)
                nodes._nodes.Add(SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), (options ?? Options) with { Redis = nodes.Redis.Address }));
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }

        return nodes;
    }

    /// <summary>Every key in Redis (SCAN over the whole keyspace).</summary>
    public async Task<IReadOnlyList<string>> KeysAsync()
    {
        _inspector ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { Redis.Address } });
        var server = _inspector.GetServer(Redis.Address);
        List<string> keys = [];
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 1000))
            keys.Add(key.ToString());
        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        _inspector?.Dispose();
        await Redis.DisposeAsync();
    }
}
