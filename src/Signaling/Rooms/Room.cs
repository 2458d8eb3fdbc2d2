using System.Net;

namespace SecretChat.Signaling.Rooms;

/// <summary>
/// One room: its one or two members and what the server knows of it. In process the store hands out the live object;
/// the Redis store hands out a copy read at <see cref="Version"/>, which a change must commit with
/// <see cref="IRoomStore.TryUpdate"/>.
/// </summary>
internal sealed class Room(string name, IPAddress owner, RoomPeer first, DateTimeOffset now)
{
    public string Name { get; } = name;

    /// <summary>Who opened it (<see cref="SourceAddress.Key"/>), for the cap on rooms per source.</summary>
    public IPAddress Owner { get; } = owner;

    public RoomPeer First { get; set; } = first;

    public RoomPeer? Second { get; set; }

    public DateTimeOffset LastActivity { get; set; } = now;

    /// <summary>When it was opened: a nameplate's room lasts <see cref="SignalingServerOptions.NameplateLifetime"/> at most.</summary>
    public DateTimeOffset Opened { get; init; } = now;

    /// <summary>A nameplate's room (<c>#N</c>), allocated by this server.</summary>
    public bool IsNameplate { get; } = SignalingCodec.IsNameplateRoom(name);

    /// <summary>The nameplate's number, or 0 for a named room.</summary>
    public ushort Nameplate => IsNameplate && ushort.TryParse(Name.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : (ushort)0;

    /// <summary>A nameplate that paired two peers: nobody else may join it until it is released.</summary>
    public bool Burned { get; set; }

    /// <summary>
    /// The node whose built-in relay serves this room (the one that opened it), by the address clients reach it at;
    /// null in process, where there is one node. A member that rejoins elsewhere after leaving the home node takes it along.
    /// </summary>
    public IPEndPoint? Home { get; set; }

    /// <summary>The store's version of this copy (Redis: a change commits only if nobody changed the room since); 0 in process.</summary>
    public long Version { get; set; }

    /// <summary>What only this node knows of the room: its relay allowance and what it logged and noticed.</summary>
    public RoomLocalState Local { get; set; } = new();

    public RoomPeer? Find(PeerId id) => First.Id == id ? First : Second?.Id == id ? Second : null;

    /// <summary>The other member of the room than <paramref name="member"/>, if there is one.</summary>
    public RoomPeer? Other(RoomPeer member) => member.Id == First.Id ? Second : First;
}

/// <summary>One member of a room.</summary>
internal sealed class RoomPeer(PeerId id, MemberToken token, IPEndPoint reflexive, IReadOnlyList<IPEndPoint> hostCandidates, PeerRole role)
{
    public PeerId Id { get; } = id;

    public MemberToken Token { get; } = token;

    public IPEndPoint Reflexive { get; set; } = reflexive;

    public IReadOnlyList<IPEndPoint> HostCandidates { get; set; } = hostCandidates;

    public PeerRole Role { get; set; } = role;

    /// <summary>The node the member talks to (its packets reach that node's socket), by its address; null in process.</summary>
    public IPEndPoint? Node { get; set; }

}

/// <summary>
/// What one node keeps of a room for itself: nothing of it is shared. The relay runs on the room's home node only, so its
/// allowance lives there; the notices are throttled per node.
/// </summary>
internal sealed class RoomLocalState
{
    /// <summary>Created when the room first relays; it stays with the room (a peer that leaves and rejoins does not reset it).</summary>
    public RoomRelayAllowance? Relay { get; set; }

    /// <summary>Limits already logged for this room (once each: the statistics count the rest).</summary>
    public RelayLimitKind LimitsLogged { get; set; }

    /// <summary>When a member was last told why its relay was dropped, or redirected.</summary>
    public Dictionary<PeerId, DateTimeOffset> LastNotice { get; } = [];

    /// <summary>When this node last refreshed the room's expiry in a shared store (it does so at most once a second).</summary>
    public DateTimeOffset LastTouch { get; set; }

    /// <summary>When the TURN credentials this node last sent to a member expire (renewed through its KeepAlives).</summary>
    public Dictionary<PeerId, DateTimeOffset> TurnExpires { get; } = [];

    /// <summary>A member's relayed address at the TURN server as this node last forwarded it to the other member, and when.</summary>
    public Dictionary<PeerId, (IPEndPoint Address, DateTimeOffset At)> TurnAddressForwarded { get; } = [];
}

[Flags]
internal enum RelayLimitKind
{
    Disabled = 1,
    Size = 2,
    Rate = 4,
    Total = 8,
}
