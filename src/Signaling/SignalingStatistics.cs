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
    private int _members;
    private long _relayForwarded;
    private long _relayBytes;
    private long _relayNotMember;
    private long _relayNoPeer;
    private long _relayTooLarge;
    private long _relayRateLimited;
    private long _relayTotalLimited;
    private long _relayDisabled;
    private long _relayNotices;
    private long _cookiesSent;
    private long _tokenRejected;
    private long _refusedServerFull;
    private long _refusedSourceRooms;
    private long _refusedBadRequest;
    private long _refusedVersion;
    private long _refusedUnknownRoom;
    private long _repliesWithheld;
    private long _storeUnavailable;
    private long _relayRedirected;

    /// <summary>Datagrams received on the server's socket, of every kind.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagrams);

    /// <summary>STUN Binding requests answered.</summary>
    public long StunRequestsAnswered => Interlocked.Read(ref _stunAnswered);

    /// <summary>Signaling packets handled (Register, KeepAlive, Leave, Relay).</summary>
    public long SignalingPacketsHandled => Interlocked.Read(ref _signalingHandled);

    /// <summary>Datagrams dropped because they broke the STUN or signaling format.</summary>
    public long MalformedDropped => Interlocked.Read(ref _malformed);

    /// <summary>Well-formed datagrams the server does not take (responses, session packets, other protocols).</summary>
    public long UnexpectedDropped => Interlocked.Read(ref _unexpected);

    /// <summary>Datagrams dropped because their source address sent too many.</summary>
    public long RateLimitedDropped => Interlocked.Read(ref _rateLimited);

    /// <summary>Rooms opened by a first Register.</summary>
    public long RoomsCreated => Interlocked.Read(ref _roomsCreated);

    /// <summary>Rooms removed after <see cref="SignalingServerOptions.RoomTtl"/> without traffic.</summary>
    public long RoomsExpired => Interlocked.Read(ref _roomsExpired);

    /// <summary>Rooms whose two peers were sent each other's candidates.</summary>
    public long RoomsPaired => Interlocked.Read(ref _roomsPaired);

    /// <summary>Registers refused because the room already held two peers.</summary>
    public long RefusedRoomFull => Interlocked.Read(ref _refusedRoomFull);

    /// <summary>Datagrams the server's socket failed to send (answers and relayed datagrams).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Rooms open now.</summary>
    public int OpenRooms => Volatile.Read(ref _openRooms);

    /// <summary>Peers that are members of an open room now (one or two per room).</summary>
    public int Members => Volatile.Read(ref _members);

    /// <summary>Relay packets forwarded to the other peer of their room.</summary>
    public long RelayPacketsForwarded => Interlocked.Read(ref _relayForwarded);

    /// <summary>Payload bytes forwarded by the relay.</summary>
    public long RelayBytesForwarded => Interlocked.Read(ref _relayBytes);

    /// <summary>Relay packets dropped because the sender is not a member of the room it named (unknown room or peer, or not from the member's registered address). Never answered.</summary>
    public long RelayDroppedNotMember => Interlocked.Read(ref _relayNotMember);

    /// <summary>Relay packets from a member of a room that has no second peer to forward to.</summary>
    public long RelayDroppedNoPeer => Interlocked.Read(ref _relayNoPeer);

    /// <summary>Relay packets whose payload exceeds <see cref="SignalingServerOptions.MaxRelayPayloadBytes"/>.</summary>
    public long RelayDroppedTooLarge => Interlocked.Read(ref _relayTooLarge);

    /// <summary>Relay packets over the room's rate (<see cref="SignalingServerOptions.RelayBytesPerSecond"/>).</summary>
    public long RelayDroppedRate => Interlocked.Read(ref _relayRateLimited);

    /// <summary>Relay packets beyond the room's total allowance (<see cref="SignalingServerOptions.RelayTotalBytes"/>).</summary>
    public long RelayDroppedTotal => Interlocked.Read(ref _relayTotalLimited);

    /// <summary>Relay packets refused because relaying is switched off.</summary>
    public long RelayDroppedDisabled => Interlocked.Read(ref _relayDisabled);

    /// <summary>Relay-limit Errors sent (at most one per second per peer).</summary>
    public long RelayNoticesSent => Interlocked.Read(ref _relayNotices);

    /// <summary>Cookie packets sent: a Register, or a member's KeepAlive from a new address, came without a valid cookie for its source. Nothing else happened.</summary>
    public long CookiesSent => Interlocked.Read(ref _cookiesSent);

    /// <summary>KeepAlive, Leave and Relay packets ignored because they lacked their member's token, and Registers of a member's id from another address.</summary>
    public long TokenRejected => Interlocked.Read(ref _tokenRejected);

    /// <summary>New rooms refused because <see cref="SignalingServerOptions.MaxRooms"/> were open.</summary>
    public long RefusedServerFull => Interlocked.Read(ref _refusedServerFull);

    /// <summary>New rooms refused because their source had <see cref="SignalingServerOptions.MaxRoomsPerSource"/> open.</summary>
    public long RefusedRoomsPerSource => Interlocked.Read(ref _refusedSourceRooms);

    /// <summary>Registers refused as bad requests (too many host candidates).</summary>
    public long RefusedBadRequest => Interlocked.Read(ref _refusedBadRequest);

    /// <summary>Signaling packets of another version (answered with UnsupportedVersion, cut to the request's size).</summary>
    public long RefusedVersion => Interlocked.Read(ref _refusedVersion);

    /// <summary>KeepAlives for a room or member that does not exist (answered "register again").</summary>
    public long RefusedUnknownRoom => Interlocked.Read(ref _refusedUnknownRoom);

    /// <summary>Answers not sent because they would have been larger than the request from a source that has not proved its address.</summary>
    public long RepliesWithheld => Interlocked.Read(ref _repliesWithheld);

    /// <summary>Packets refused because the shared room store (Redis) could not be reached; Registers among them were answered "try again".</summary>
    public long RefusedStoreUnavailable => Interlocked.Read(ref _storeUnavailable);

    /// <summary>Relay packets that reached a node other than their room's home (the node that relays for it); the member was told where, at most once a second.</summary>
    public long RelayRedirected => Interlocked.Read(ref _relayRedirected);

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
    internal void RelayForwarded(int bytes)
    {
        Interlocked.Increment(ref _relayForwarded);
        Interlocked.Add(ref _relayBytes, bytes);
    }

    internal void RelayNotMember() => Interlocked.Increment(ref _relayNotMember);
    internal void RelayNoPeer() => Interlocked.Increment(ref _relayNoPeer);
    internal void RelayTooLarge() => Interlocked.Increment(ref _relayTooLarge);
    internal void RelayRateLimited() => Interlocked.Increment(ref _relayRateLimited);
    internal void RelayTotalLimited() => Interlocked.Increment(ref _relayTotalLimited);
    internal void RelayDisabled() => Interlocked.Increment(ref _relayDisabled);
    internal void RelayNotice() => Interlocked.Increment(ref _relayNotices);
    internal void CookieSent() => Interlocked.Increment(ref _cookiesSent);
    internal void WrongToken() => Interlocked.Increment(ref _tokenRejected);
    internal void ServerFull() => Interlocked.Increment(ref _refusedServerFull);
    internal void SourceRoomsFull() => Interlocked.Increment(ref _refusedSourceRooms);
    internal void BadRequest() => Interlocked.Increment(ref _refusedBadRequest);
    internal void OtherVersion() => Interlocked.Increment(ref _refusedVersion);
    internal void UnknownRoom() => Interlocked.Increment(ref _refusedUnknownRoom);
    internal void ReplyWithheld() => Interlocked.Increment(ref _repliesWithheld);
    internal void StoreUnavailable() => Interlocked.Increment(ref _storeUnavailable);
    internal void RelayRedirect() => Interlocked.Increment(ref _relayRedirected);
    internal void SetOpenRooms(int count) => Volatile.Write(ref _openRooms, count);
    internal void SetMembers(int count) => Volatile.Write(ref _members, count);

    /// <summary>Every counter in one line, for logs.</summary>
    public override string ToString() =>
        $"datagrams {DatagramsReceived}, STUN answered {StunRequestsAnswered}, signaling {SignalingPacketsHandled}, " +
        $"malformed {MalformedDropped}, unexpected {UnexpectedDropped}, rate-limited {RateLimitedDropped}, " +
        $"rooms open {OpenRooms} (created {RoomsCreated}, paired {RoomsPaired}, expired {RoomsExpired}, full refusals {RefusedRoomFull}), " +
        $"refused: server full {RefusedServerFull}, rooms per source {RefusedRoomsPerSource}, bad request {RefusedBadRequest}, version {RefusedVersion}, unknown room {RefusedUnknownRoom}; " +
        $"cookies sent {CookiesSent}, wrong token {TokenRejected}, replies withheld {RepliesWithheld}, " +
        $"relayed {RelayPacketsForwarded} ({RelayBytesForwarded} bytes; dropped: not member {RelayDroppedNotMember}, no peer {RelayDroppedNoPeer}, " +
        $"too large {RelayDroppedTooLarge}, rate {RelayDroppedRate}, total {RelayDroppedTotal}, disabled {RelayDroppedDisabled})";
}
