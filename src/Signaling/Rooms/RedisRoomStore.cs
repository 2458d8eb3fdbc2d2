using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SecretChat.Signaling.Rooms;

/// <summary>
/// Rooms in Redis, shared by every node that names the same Redis: any node accepts any registration. A room is one hash
/// (<c>sc:room:NAME</c>: a version and a <see cref="RoomRecord"/>) with the room TTL as its Redis expiry; each member has
/// an index key (<c>sc:member:ID</c> → room); sorted sets by expiry count the open rooms (<c>sc:rooms</c>) and each
/// source's rooms (<c>sc:source:IP</c>). Every change is one Lua script: a room is created only if absent and within the
/// limits, and changed or removed only at the version it was read at, so two nodes racing on one room cannot both win.
/// A packet for a member whose socket is at another node goes to that node over pub/sub (<c>sc:node:ADDR</c>).
/// </summary>
internal sealed class RedisRoomStore : IRoomStore
{
    private const string Prefix = "sc:";
    private const string CountMembersScript = "return #redis.call('KEYS', ARGV[1])";
    private static readonly RedisKey Rooms = Prefix + "rooms";

    // KEYS: room, rooms, source, member, [the nameplate's claim]. ARGV: record, ttl ms, now ms, expiry ms, max rooms,
    // max per source, name.
    private const string AddScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return -3 end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
        local open = redis.call('ZCARD', KEYS[2])
        if open >= tonumber(ARGV[5]) then return -1000000 - open end
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
        local mine = redis.call('ZCARD', KEYS[3])
        if mine >= tonumber(ARGV[6]) then return -2000000 - mine end
        redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        for i = 2, 3 do
          redis.call('ZADD', KEYS[i], ARGV[4], ARGV[7])
          local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
          redis.call('PEXPIREAT', KEYS[i], last[2])
        end
        redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[2])
        if KEYS[5] then redis.call('DEL', KEYS[5]) end
        return 1
        """;

    // KEYS: room, rooms, source, members now (ARGV[6] of them), then members gone.
    // ARGV: version read, record, ttl ms, expiry ms, name, count of members now.
    private const string UpdateScript = """
        if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
        local v = tonumber(ARGV[1]) + 1
        redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        for i = 2, 3 do
          redis.call('ZADD', KEYS[i], ARGV[4], ARGV[5])
          local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
          redis.call('PEXPIREAT', KEYS[i], last[2])
        end
        local now = tonumber(ARGV[6])
        for i = 4, #KEYS do
          if i < 4 + now then
            redis.call('SET', KEYS[i], ARGV[5], 'PX', ARGV[3])
          elseif redis.call('GET', KEYS[i]) == ARGV[5] then
            redis.call('DEL', KEYS[i])
          end
        end
        return v
        """;

    // KEYS: room, rooms, source, members. ARGV: version read (or '*': whatever it is), name.
    private const string RemoveScript = """
        if ARGV[1] ~= '*' and redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[2])
        redis.call('ZREM', KEYS[3], ARGV[2])
        for i = 4, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[2] then redis.call('DEL', KEYS[i]) end
        end
        return 1
        """;

    // KEYS: room, rooms, source, members. ARGV: ttl ms, expiry ms, name.
    private const string TouchScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        for i = 2, 3 do
          redis.call('ZADD', KEYS[i], 'XX', ARGV[2], ARGV[3])
          local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
          if last[2] then redis.call('PEXPIREAT', KEYS[i], last[2]) end
        end
        for i = 4, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[3] then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
        end
        return 1
        """;

    // ARGV: the room key prefix of nameplates, the claim key prefix, how long a claim holds (ms). The smallest number
    // neither open nor claimed, claimed for this node until it opens the room (or 0): two nodes never pick the same.
    private const string FreeNameplateScript = """
        for n = 1, 65535 do
          if redis.call('EXISTS', ARGV[1] .. n) == 0 and redis.call('SET', ARGV[2] .. n, 1, 'NX', 'PX', ARGV[3]) then
            return n
          end
        end
        return 0
        """;

    private static readonly TimeSpan TouchInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How old the copy of a room the relay forwards by may be: a change at another node (a member that left or moved)
    /// reaches this node's relay within it, and the relay reads Redis once a second per member instead of per datagram.
    /// </summary>
    public static readonly TimeSpan RelayCopyLifetime = TimeSpan.FromSeconds(1);

    /// <summary>How long a number handed out by <see cref="FreeNameplate"/> stays reserved for the node that asked (it opens the room at once).</summary>
    private static readonly TimeSpan NameplateClaim = TimeSpan.FromSeconds(5);

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly SignalingServerOptions _options;
    private const int ConnectTimeoutMs = 5000;

    private readonly ILogger _logger;
    private readonly RedisChannel _channel;
    private int _members;
    private readonly Dictionary<string, RoomLocalState> _local = new(StringComparer.Ordinal);
    private readonly Dictionary<PeerId, (Room Room, DateTimeOffset Read)> _relayCopies = [];

    private RedisRoomStore(ConnectionMultiplexer redis, SignalingServerOptions options, IPEndPoint node, ILogger logger, Action<byte[], IPEndPoint> send)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _options = options;
        _logger = logger;
        Node = node;
        _channel = NodeChannel(node);
        SubscribeOnceReady(redis, _channel, (_, message) => Deliver(message, send), TimeSpan.FromMilliseconds(ConnectTimeoutMs));
    }

    /// <summary>
    /// Subscribes to <paramref name="channel"/>, retrying while the subscription connection is still coming up: Connect
    /// returns once the interactive connection is up, and with <see cref="BacklogPolicy.FailFast"/> a SUBSCRIBE sent before
    /// the second connection is ready fails at once instead of waiting for it (seen as "No connection is active/available"
    /// in about one start in fifty on a busy machine).
    /// </summary>
    private static void SubscribeOnceReady(ConnectionMultiplexer redis, RedisChannel channel, Action<RedisChannel, RedisValue> handler, TimeSpan within)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                redis.GetSubscriber().Subscribe(channel, handler);
                return;
            }
            catch (RedisConnectionException) when (Stopwatch.GetElapsedTime(started) < within)
            {
                Thread.Sleep(20); // start-up only, bounded by the connect timeout
            }
        }
    }

    public IPEndPoint Node { get; }

    IPEndPoint? IRoomStore.Node => Node;

    /// <summary>The open rooms, counting until the next sweep the ones that expired since the last (one round trip).</summary>
    public int Count => Call(() => (int)_db.SortedSetLength(Rooms));

    public void Ping() => Call(() => _db.Ping());

    /// <summary>The members of open rooms as the last <see cref="Sweep"/> counted them.</summary>
    public int Members => Volatile.Read(ref _members);

    /// <summary>Connects to Redis at <paramref name="endPoint"/> (HOST:PORT) and listens for packets other nodes pass to <paramref name="node"/>.</summary>
    /// <exception cref="RoomStoreUnavailableException">Redis cannot be reached.</exception>
    public static RedisRoomStore Connect(string endPoint, IPEndPoint node, SignalingServerOptions options, ILogger logger, Action<byte[], IPEndPoint> send)
    {
        var configuration = new ConfigurationOptions
        {
            AbortOnConnectFail = true, // at start: down is an error; later, the multiplexer reconnects by itself
            ConnectTimeout = ConnectTimeoutMs, // a refused connection fails at once; this bounds a Redis that does not answer
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
            ConnectRetry = 2,
            BacklogPolicy = BacklogPolicy.FailFast, // while Redis is away, refuse now rather than queue
            ClientName = "secretchat-signal",
        };
        configuration.EndPoints.Add(endPoint);
        try
        {
            var redis = ConnectionMultiplexer.Connect(configuration);
            return new RedisRoomStore(redis, options, node, logger, send);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException or InvalidOperationException)
        {
            throw new RoomStoreUnavailableException($"cannot reach Redis at {endPoint}", ex);
        }
    }

    public Room? Find(string name) => Call(() => Read(name));

    public Room? RoomOf(PeerId peer) => Call(() =>
    {
        var name = _db.StringGet(MemberKey(peer.Value));
        return name.IsNull ? null : Read(name.ToString());
    });

    public Room? RoomOfForRelay(PeerId peer, DateTimeOffset now)
    {
        if (_relayCopies.TryGetValue(peer, out var copy) && now - copy.Read < RelayCopyLifetime && copy.Room.Find(peer) is not null)
            return copy.Room;
        var room = RoomOf(peer);
        if (room is null)
            _relayCopies.Remove(peer);
        else
            _relayCopies[peer] = (room, now);
        return room;
    }

    public RoomAdd TryAdd(Room room, DateTimeOffset now) => Call(() =>
    {
        var (ttl, expiry) = Expiry(room, now);
        RedisKey[] keys = room.IsNameplate
            ? [RoomKey(room.Name), Rooms, SourceKey(room.Owner), MemberKey(room.First.Id.Value), Prefix + "claim:" + room.Name]
            : [RoomKey(room.Name), Rooms, SourceKey(room.Owner), MemberKey(room.First.Id.Value)];
        var result = (long)_db.ScriptEvaluate(AddScript, keys,
            [RoomRecord.Write(room), ttl, Now(now), expiry, _options.MaxRooms, _options.MaxRoomsPerSource, room.Name]);
        switch (result)
        {
            case 1:
                room.Version = 1;
                _local[room.Name] = room.Local;
                return new RoomAdd(RoomAddResult.Added);
            case -3:
                return new RoomAdd(RoomAddResult.Exists);
            case <= -2_000_000:
                return new RoomAdd(RoomAddResult.SourceFull, (int)(-2_000_000 - result));
            default:
                return new RoomAdd(RoomAddResult.ServerFull, (int)(-1_000_000 - result));
        }
    });

    public bool TryUpdate(Room room, DateTimeOffset now, RoomPeer? left = null) => Call(() =>
    {
        var (ttl, expiry) = Expiry(room, now);
        List<RedisKey> keys = [RoomKey(room.Name), Rooms, SourceKey(room.Owner), MemberKey(room.First.Id.Value)];
        if (room.Second is not null)
            keys.Add(MemberKey(room.Second.Id.Value));
        var present = keys.Count - 3;
        if (left is not null)
            keys.Add(MemberKey(left.Id.Value));
        var version = (long)_db.ScriptEvaluate(UpdateScript, [.. keys],
            [room.Version.ToString(CultureInfo.InvariantCulture), RoomRecord.Write(room), ttl, expiry, room.Name, present]);
        Forget(room, left);
        if (version == 0)
            return false;
        room.Version = version;
        room.Local.LastTouch = now;
        return true;
    });

    public bool TryRemove(Room room) => Call(() =>
    {
        _local.Remove(room.Name);
        Forget(room, null);
        return Remove(room, room.Version.ToString(CultureInfo.InvariantCulture));
    });

    public void Touch(Room room, DateTimeOffset now)
    {
        room.LastActivity = now;
        if (now - room.Local.LastTouch < TouchInterval)
            return; // a relayed chat would otherwise write to Redis for every datagram
        room.Local.LastTouch = now;
        var (ttl, expiry) = Expiry(room, now);
        Call(() => _db.ScriptEvaluate(TouchScript, MemberKeys(room), [ttl, expiry, room.Name]));
    }

    public int? FreeNameplate() => Call(() =>
    {
        var number = (int)_db.ScriptEvaluate(FreeNameplateScript, [], [Prefix + "room:#", Prefix + "claim:#", (long)NameplateClaim.TotalMilliseconds]);
        return number == 0 ? (int?)null : number;
    });

    public IReadOnlyList<string> Sweep(DateTimeOffset now) => Call(() =>
    {
        // Redis expires the rooms and member keys by itself; the sorted sets are pruned here (and before each count).
        var gone = _db.SortedSetRangeByScore(Rooms, double.NegativeInfinity, Now(now));
        if (gone.Length > 0)
            _db.SortedSetRemove(Rooms, gone);
        foreach (var (peer, copy) in _relayCopies.ToList())
        {
            if (now - copy.Read >= RelayCopyLifetime)
                _relayCopies.Remove(peer);
        }

        foreach (var name in _local.Keys.ToList())
        {
            if (now - _local[name].LastTouch >= _options.RoomTtl && !_db.KeyExists(RoomKey(name)))
                _local.Remove(name);
        }

        // One scan per sweep for the members gauge (at most two keys per room), never one per packet.
        Volatile.Write(ref _members, (int)_db.ScriptEvaluate(CountMembersScript, values: [Prefix + "member:*"]));

        return (IReadOnlyList<string>)Array.ConvertAll(gone, name => name.ToString());
    });

    public void Forward(IPEndPoint node, byte[] datagram, IPEndPoint to) => Call(() =>
    {
        var address = Encoding.UTF8.GetBytes(to.ToString());
        var message = new byte[1 + address.Length + datagram.Length];
        message[0] = (byte)address.Length;
        address.CopyTo(message, 1);
        datagram.CopyTo(message, 1 + address.Length);
        return _redis.GetSubscriber().Publish(NodeChannel(node), message);
    });

    public void Dispose()
    {
        try
        {
            _redis.GetSubscriber().Unsubscribe(_channel);
        }
        catch (RedisException)
        {
            // Going away anyway.
        }

        _redis.Dispose();
    }

    /// <summary>Drops the relay's copies of <paramref name="room"/>: this node changed it, so they are stale now.</summary>
    private void Forget(Room room, RoomPeer? left)
    {
        _relayCopies.Remove(room.First.Id);
        if (room.Second is not null)
            _relayCopies.Remove(room.Second.Id);
        if (left is not null)
            _relayCopies.Remove(left.Id);
    }

    private Room? Read(string name)
    {
        var fields = _db.HashGet(RoomKey(name), ["v", "d"]);
        if (fields[0].IsNull || fields[1].IsNull)
            return null;
        Room room;
        try
        {
            room = RoomRecord.Read((byte[])fields[1]!, (long)fields[0]);
        }
        catch (InvalidDataException ex)
        {
            // Another version's record, or a stranger's key: this node cannot serve the room.
            _logger.LogWarning("Room '{Room}' in Redis cannot be read: {Message}", name, ex.Message);
            return null;
        }

        if (!_local.TryGetValue(name, out var local))
            _local[name] = local = new RoomLocalState();
        room.Local = local;
        return room;
    }

    private bool Remove(Room room, string version) =>
        (long)_db.ScriptEvaluate(RemoveScript, MemberKeys(room), [version, room.Name]) == 1;

    private RedisKey[] MemberKeys(Room room) => room.Second is null
        ? [RoomKey(room.Name), Rooms, SourceKey(room.Owner), MemberKey(room.First.Id.Value)]
        : [RoomKey(room.Name), Rooms, SourceKey(room.Owner), MemberKey(room.First.Id.Value), MemberKey(room.Second.Id.Value)];

    /// <summary>The room's Redis expiry from now and the moment it expires: the room TTL, or less for a nameplate near the end of its lifetime.</summary>
    private (long TtlMs, long ExpiryMs) Expiry(Room room, DateTimeOffset now)
    {
        var ttl = _options.RoomTtl;
        if (room.IsNameplate)
            ttl = TimeSpan.FromTicks(Math.Min(ttl.Ticks, (room.Opened + _options.NameplateLifetime - now).Ticks));
        var ms = Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds));
        return (ms, Now(now) + ms);
    }

    /// <summary>A packet another node passed us for one of the members whose socket address is ours: [length, address, datagram].</summary>
    private void Deliver(RedisValue message, Action<byte[], IPEndPoint> send)
    {
        var bytes = (byte[]?)message;
        if (bytes is null || bytes.Length < 2 || bytes.Length < 1 + bytes[0] + 1)
            return;
        if (!IPEndPoint.TryParse(Encoding.UTF8.GetString(bytes, 1, bytes[0]), out var to))
            return;
        send(bytes[(1 + bytes[0])..], to);
    }

    private T Call<T>(Func<T> call)
    {
        if (!_redis.IsConnected)
            throw new RoomStoreUnavailableException("Redis is not connected");
        try
        {
            return call();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new RoomStoreUnavailableException($"Redis failed: {ex.Message}", ex);
        }
    }

    private static long Now(DateTimeOffset now) => now.ToUnixTimeMilliseconds();

    private static RedisKey RoomKey(string name) => Prefix + "room:" + name;

    private static RedisKey MemberKey(ulong peer) => Prefix + "member:" + peer.ToString("x16", CultureInfo.InvariantCulture);

    private static RedisKey SourceKey(IPAddress owner) => Prefix + "source:" + owner;

    private static RedisChannel NodeChannel(IPEndPoint node) => RedisChannel.Literal(Prefix + "node:" + node);
}
