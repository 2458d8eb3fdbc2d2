namespace SecretChat.Signaling;

/// <summary>What the server has seen; counters are updated atomically and can be read at any time.</summary>
public sealed class SignalingStatistics
{
    private long _datagrams;
    private long _stunAnswered;
    private long _signalingHandled;
    private long _malformed;
    private long _unexpected;
    private long _rateLimited;
    private long _roomsCreated;
    private long _roomsExpired;
    private long _roomsPaired;
    private long _refusedRoomFull;
    private long _sendFailures;
    private int _openRooms;

    public long DatagramsReceived => Interlocked.Read(ref _datagrams);

    public long StunRequestsAnswered => Interlocked.Read(ref _stunAnswered);

    public long SignalingPacketsHandled => Interlocked.Read(ref _signalingHandled);

    /// <summary>Datagrams dropped because they broke the STUN or signaling format.</summary>
    public long MalformedDropped => Interlocked.Read(ref _malformed);

    /// <summary>Well-formed datagrams the server does not take (responses, session packets, other protocols).</summary>
    public long UnexpectedDropped => Interlocked.Read(ref _unexpected);

    public long RateLimitedDropped => Interlocked.Read(ref _rateLimited);

    public long RoomsCreated => Interlocked.Read(ref _roomsCreated);

    public long RoomsExpired => Interlocked.Read(ref _roomsExpired);

    public long RoomsPaired => Interlocked.Read(ref _roomsPaired);

    public long RefusedRoomFull => Interlocked.Read(ref _refusedRoomFull);

    public long SendFailures => Interlocked.Read(ref _sendFailures);

    public int OpenRooms => Volatile.Read(ref _openRooms);

    internal void Datagram() => Interlocked.Increment(ref _datagrams);
    internal void StunAnswered() => Interlocked.Increment(ref _stunAnswered);
    internal void SignalingHandled() => Interlocked.Increment(ref _signalingHandled);
    internal void Malformed() => Interlocked.Increment(ref _malformed);
    internal void Unexpected() => Interlocked.Increment(ref _unexpected);
    internal void RateLimited() => Interlocked.Increment(ref _rateLimited);
    internal void RoomCreated() => Interlocked.Increment(ref _roomsCreated);
    internal void RoomExpired() => Interlocked.Increment(ref _roomsExpired);
    internal void RoomPaired() => Interlocked.Increment(ref _roomsPaired);
    internal void RoomFull() => Interlocked.Increment(ref _refusedRoomFull);
    internal void SendFailed() => Interlocked.Increment(ref _sendFailures);
    internal void SetOpenRooms(int count) => Volatile.Write(ref _openRooms, count);

    public override string ToString() =>
        $"datagrams {DatagramsReceived}, STUN answered {StunRequestsAnswered}, signaling {SignalingPacketsHandled}, " +
        $"malformed {MalformedDropped}, unexpected {UnexpectedDropped}, rate-limited {RateLimitedDropped}, " +
        $"rooms open {OpenRooms} (created {RoomsCreated}, paired {RoomsPaired}, expired {RoomsExpired}, full refusals {RefusedRoomFull})";
}
