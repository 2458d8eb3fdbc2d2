using System.Net;

namespace SecretChat.Signaling.Rooms;

/// <summary>
/// Where rooms, their members and tokens, nameplates and the per-source room counts live: in process
/// (<see cref="InProcessRoomStore"/>, the default) or in Redis, shared by several nodes (<see cref="RedisRoomStore"/>).
/// Calls are synchronous and made under the rendezvous lock. A store that cannot answer throws
/// <see cref="RoomStoreUnavailableException"/>.
/// </summary>
internal interface IRoomStore : IDisposable
{
    /// <summary>This node's address as clients reach it (where a redirect sends them); null in process.</summary>
    IPEndPoint? Node { get; }

    /// <summary>The room named <paramref name="name"/>, or null.</summary>
    Room? Find(string name);

    /// <summary>The room <paramref name="peer"/> is a member of, or null.</summary>
    Room? RoomOf(PeerId peer);

    /// <summary>
    /// <see cref="RoomOf"/> for the relay, which asks for every datagram: a shared store may answer from a copy up to
    /// <see cref="RedisRoomStore.RelayCopyLifetime"/> old (this node's own changes replace it at once).
    /// </summary>
    Room? RoomOfForRelay(PeerId peer, DateTimeOffset now);

    /// <summary>Open rooms (across nodes, for a shared store).</summary>
    int Count { get; }

    /// <summary>Asks the store whether it answers (a round trip to a shared store).</summary>
    /// <exception cref="RoomStoreUnavailableException">It does not.</exception>
    void Ping();

    /// <summary>
    /// Members of the open rooms: live in process; a shared store counts them at each <see cref="Sweep"/> (a scan of its
    /// member keys), so between sweeps this is the last count.
    /// </summary>
    int Members { get; }

    /// <summary>Adds a new room, within the limits on open rooms and on rooms per source.</summary>
    RoomAdd TryAdd(Room room, DateTimeOffset now);

    /// <summary>
    /// Commits a change to <paramref name="room"/> (<paramref name="left"/>: a member that is no longer in it); false when
    /// another node changed it since it was read (read it again and retry).
    /// </summary>
    bool TryUpdate(Room room, DateTimeOffset now, RoomPeer? left = null);

    /// <summary>Removes <paramref name="room"/>; false when another node changed it since it was read.</summary>
    bool TryRemove(Room room);

    /// <summary>Records activity in <paramref name="room"/> (it does not expire for another TTL) without changing it.</summary>
    void Touch(Room room, DateTimeOffset now);

    /// <summary>The smallest nameplate whose room is not open, or null when all are. Another node may take it first (then <see cref="TryAdd"/> says so).</summary>
    int? FreeNameplate();

    /// <summary>Removes the rooms that expired (idle for the TTL, or a nameplate past its lifetime); returns their names.</summary>
    IReadOnlyList<string> Sweep(DateTimeOffset now);

    /// <summary>Sends <paramref name="datagram"/> to <paramref name="to"/> from the socket of <paramref name="node"/> (the node a member talks to).</summary>
    void Forward(IPEndPoint node, byte[] datagram, IPEndPoint to);
}

/// <summary>What <see cref="IRoomStore.TryAdd"/> did; <paramref name="Open"/> is the count that refused it.</summary>
internal readonly record struct RoomAdd(RoomAddResult Result, int Open = 0);

internal enum RoomAddResult
{
    Added,

    /// <summary>A room of that name exists (another node opened it meanwhile): read it and retry.</summary>
    Exists,
    ServerFull,
    SourceFull,
}

/// <summary>The shared room store cannot be reached (Redis is down or too slow); the packet is refused, nothing is kept.</summary>
internal sealed class RoomStoreUnavailableException : Exception
{
    public RoomStoreUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public RoomStoreUnavailableException()
    {
    }

    public RoomStoreUnavailableException(string message)
        : base(message)
    {
    }
}
