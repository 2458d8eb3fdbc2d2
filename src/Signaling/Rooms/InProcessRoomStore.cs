using System.Net;

namespace SecretChat.Signaling.Rooms;

/// <summary>
/// The rooms of one node, in its memory (the default): live objects, so a change is made in place and every commit
/// succeeds. Called under the rendezvous lock only.
/// </summary>
internal sealed class InProcessRoomStore(SignalingServerOptions options) : IRoomStore
{
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _roomsBySource = [];
    private readonly Dictionary<PeerId, Room> _roomOfMember = [];

    public IPEndPoint? Node => null;

    public int Count => _rooms.Count;

    public int Members => _roomOfMember.Count;

    public void Ping()
    {
        // In this process: always there.
    }

    public Room? Find(string name) => _rooms.GetValueOrDefault(name);

    public Room? RoomOf(PeerId peer) => _roomOfMember.GetValueOrDefault(peer);

    public Room? RoomOfForRelay(PeerId peer, DateTimeOffset now) => _roomOfMember.GetValueOrDefault(peer);

    public RoomAdd TryAdd(Room room, DateTimeOffset now)
    {
        if (_rooms.ContainsKey(room.Name))
            return new(RoomAddResult.Exists);
        if (_rooms.Count >= options.MaxRooms)
            return new(RoomAddResult.ServerFull, _rooms.Count);
        var opened = _roomsBySource.GetValueOrDefault(room.Owner);
        if (opened >= options.MaxRoomsPerSource)
            return new(RoomAddResult.SourceFull, opened);

        _rooms.Add(room.Name, room);
        _roomOfMember[room.First.Id] = room;
        _roomsBySource[room.Owner] = opened + 1;
        return new(RoomAddResult.Added);
    }

    public bool TryUpdate(Room room, DateTimeOffset now, RoomPeer? left = null)
    {
        // The object is the room: only the member index can be behind it.
        if (left is not null && _roomOfMember.TryGetValue(left.Id, out var of) && of == room)
            _roomOfMember.Remove(left.Id);
        foreach (var member in (RoomPeer?[])[room.First, room.Second])
        {
            if (member is not null)
                _roomOfMember[member.Id] = room;
        }

        return true;
    }

    public bool TryRemove(Room room)
    {
        _rooms.Remove(room.Name);
        foreach (var member in (RoomPeer?[])[room.First, room.Second])
        {
            if (member is not null && _roomOfMember.TryGetValue(member.Id, out var of) && of == room)
                _roomOfMember.Remove(member.Id);
        }

        if (_roomsBySource.TryGetValue(room.Owner, out var count))
        {
            if (count <= 1)
                _roomsBySource.Remove(room.Owner);
            else
                _roomsBySource[room.Owner] = count - 1;
        }

        return true;
    }

    public void Touch(Room room, DateTimeOffset now) => room.LastActivity = now;

    public int? FreeNameplate()
    {
        for (var number = 1; number <= ushort.MaxValue; number++)
        {
            if (!_rooms.ContainsKey(SignalingCodec.NameplateRoom(number)))
                return number;
        }
        return null;
    }

    public IReadOnlyList<string> Sweep(DateTimeOffset now)
    {
        List<Room>? expired = null;
        foreach (var room in _rooms.Values)
        {
            if (now - room.LastActivity >= options.RoomTtl || (room.IsNameplate && now - room.Opened >= options.NameplateLifetime))
                (expired ??= []).Add(room);
        }

        if (expired is null)
            return [];
        foreach (var room in expired)
            TryRemove(room);
        return expired.ConvertAll(room => room.Name);
    }

    public void Forward(IPEndPoint node, byte[] datagram, IPEndPoint to) =>
        throw new InvalidOperationException("One node in process: every member talks to it.");

    public void Dispose()
    {
    }
}
