using System.Net;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using SecretChat.Security;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling;

/// <summary>
/// The server's behaviour without its socket: takes one datagram and its source, sends the answers through a callback.
/// STUN Binding requests are answered; signaling packets drive the rooms; everything else is counted and dropped.
/// Time comes from the scheduler, so room expiry and rate limits are tested in virtual time.
/// </summary>
internal sealed class Rendezvous : IDisposable
{
    private readonly SignalingServerOptions _options;
    private readonly ILogger _logger;
    private readonly IScheduler _scheduler;
    private readonly Action<byte[], IPEndPoint> _send;
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _roomsBySource = [];
    private readonly Dictionary<PeerId, Room> _roomOfMember = [];
    private readonly Dictionary<string, int> _refusalsNotLogged = new(StringComparer.Ordinal);
    private readonly SourceRateLimit _rateLimit;
    private readonly SourceCookies _cookies;
    private readonly Lock _gate = new();
    private readonly IDisposable _sweep;

    private static readonly TimeSpan RelayNoticeInterval = TimeSpan.FromSeconds(1);

    public Rendezvous(SignalingServerOptions options, ILogger logger, IScheduler scheduler, Action<byte[], IPEndPoint> send)
    {
        _options = options;
        _logger = logger;
        _scheduler = scheduler;
        _send = send;
        _rateLimit = new SourceRateLimit(options.RatePerSecond, options.RateBurst, options.MaxTrackedSources, scheduler.Now);
        _cookies = new SourceCookies(options.CookieRotation, scheduler.Now);
        _sweep = scheduler.SchedulePeriodic(options.SweepInterval, Sweep);
    }

    public SignalingStatistics Statistics { get; } = new();

    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        Statistics.Datagram();
        lock (_gate)
        {
            var now = _scheduler.Now;
            var signaling = SignalingCodec.IsSignaling(datagram);
            SignalingPacket? packet = null;
            var decoded = signaling && SignalingCodec.TryDecode(datagram, out packet);

            // A member's own packets (its token) pass before the per-source limit, so garbage from (or forged as) its
            // address cannot starve it; the relay has its own per-room limits (a chat over it sends far more than 10
            // datagrams a second).
            if (decoded && TryMemberPacket(packet!, source, datagram.Length, now))
                return;

            if (!_rateLimit.TryTake(source.Address, now, out var firstRefusal))
            {
                Statistics.RateLimited();
                if (firstRefusal)
                {
                    LogRefusal("rate", () => _logger.LogWarning("Rate-limiting {Source}", source));
                    if (signaling)
                        ReplyWithin(new ErrorPacket(default, SignalingErrorCode.RateLimited, "too many packets from your address; slow down and try again in a few seconds"), source, datagram.Length);
                }

                return;
            }

            if (StunMessage.IsStun(datagram))
                ReceiveStun(datagram, source);
            else if (!signaling)
                Statistics.Unexpected();
            else if (!decoded)
                Malformed(datagram, source);
            else
                ReceiveSignaling(packet!, source, datagram.Length, now);
        }
    }

    /// <summary>Removes rooms idle for longer than the TTL, forgets idle rate-limit buckets, and logs the refusals it held back.</summary>
    public void Sweep()
    {
        lock (_gate)
        {
            var now = _scheduler.Now;
            List<Room>? expired = null;
            foreach (var room in _rooms.Values)
            {
                if (now - room.LastActivity >= _options.RoomTtl || (room.IsNameplate && now - room.Opened >= _options.NameplateLifetime))
                    (expired ??= []).Add(room);
            }

            foreach (var room in expired ?? [])
            {
                RemoveRoom(room);
                Statistics.RoomExpired();
                _logger.LogInformation("Room '{Room}' expired after {Seconds:0} s without traffic", room.Name, _options.RoomTtl.TotalSeconds);
            }

            Statistics.SetOpenRooms(_rooms.Count);
            _rateLimit.Sweep(now);
            foreach (var (kind, count) in _refusalsNotLogged)
            {
                if (count > 0)
                    _logger.LogWarning("{Count} more refusals ({Kind}) were not logged one by one", count, kind);
            }

            _refusalsNotLogged.Clear();
        }
    }

    public void Dispose() => _sweep.Dispose();

    private void ReceiveStun(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        if (!StunMessage.TryParse(datagram, out var message))
        {
            Statistics.Malformed();
            return;
        }

        if (!StunBindingResponder.TryAnswer(message, source, _options.Software, out var response))
        {
            Statistics.Unexpected();
            return;
        }

        // Nobody proves its address to STUN: the answer may not be larger than the request. SOFTWARE goes first; a
        // request too small even for the bare answer (a 20-byte one: the answer is 40 or 52 bytes) gets nothing.
        if (!_options.StunAnswersMayExceedRequests && response.Length > datagram.Length && _options.Software is not null)
            StunBindingResponder.TryAnswer(message, source, null, out response);
        if (!_options.StunAnswersMayExceedRequests && response!.Length > datagram.Length)
        {
            Statistics.ReplyWithheld();
            _logger.LogDebug("Did not answer a {Length}-byte STUN request from {Source}: the answer would be larger", datagram.Length, source);
            return;
        }

        _logger.LogDebug("Answered STUN {Type} from {Source}", message.Type, source);
        Statistics.StunAnswered();
        _send(response!, source);
    }

    private void Malformed(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        if (SignalingCodec.PeekVersion(datagram) is { } version && version != SignalingCodec.Version)
        {
            Statistics.Malformed();
            Statistics.OtherVersion();
            ReplyWithin(new ErrorPacket(default, SignalingErrorCode.UnsupportedVersion,
                $"update SecretChat: this server speaks signaling version {SignalingCodec.Version}, not {version}"), source, datagram.Length);
            return;
        }

        Statistics.Malformed();
        _logger.LogDebug("Dropped a malformed signaling packet from {Source}", source);
    }

    /// <summary>Relay, and KeepAlive or Leave with the right token: handled here, outside the per-source limit. False for everything else.</summary>
    private bool TryMemberPacket(SignalingPacket packet, IPEndPoint source, int length, DateTimeOffset now)
    {
        switch (packet)
        {
            case RelayPacket relay:
                Statistics.SignalingHandled();
                Relay(relay, source, now);
                return true;
            case KeepAlivePacket keepAlive when FindMember(keepAlive.Room, keepAlive.Peer, keepAlive.Token) is var (room, member):
                Statistics.SignalingHandled();
                KeepAlive(keepAlive, room, member, source, length, now);
                return true;
            case LeavePacket leave when FindMember(leave.Room, leave.Peer, leave.Token) is var (room, member):
                Statistics.SignalingHandled();
                Leave(room, member);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The member <paramref name="peer"/> of <paramref name="roomName"/>, only if <paramref name="token"/> is its token (compared in constant time).</summary>
    private (Room Room, RoomPeer Member)? FindMember(string roomName, PeerId peer, MemberToken token) =>
        _rooms.TryGetValue(roomName, out var room) && room.Find(peer) is { } member && member.Token.Matches(token) ? (room, member) : null;

    private void ReceiveSignaling(SignalingPacket packet, IPEndPoint source, int length, DateTimeOffset now)
    {
        switch (packet)
        {
            case RegisterPacket register:
                Statistics.SignalingHandled();
                Register(register, source, length, now);
                break;
            case KeepAlivePacket keepAlive: // without its member's token (with it, handled before the rate limit)
                Statistics.SignalingHandled();
                if (_rooms.TryGetValue(keepAlive.Room, out var room) && room.Find(keepAlive.Peer) is not null)
                {
                    Statistics.WrongToken();
                    _logger.LogDebug("Ignored a KeepAlive for room '{Room}' from {Source}: wrong token", keepAlive.Room, source);
                    break;
                }

                // The room is gone (expiry, restart): the client registers again. Told even to an unproven source (a
                // client whose NAT rebound learns it that way), so never more bytes than it sent.
                Statistics.UnknownRoom();
                ReplyWithin(new ErrorPacket(keepAlive.Peer, SignalingErrorCode.UnknownRoom, "no such room here (it may have expired); register again"), source, length);
                break;
            case LeavePacket leave:
                Statistics.SignalingHandled();
                Statistics.WrongToken();
                _logger.LogDebug("Ignored a Leave for room '{Room}' from {Source}: not a member with its token", leave.Room, source);
                break;
            default:
                Statistics.Unexpected(); // server-to-client packets sent to the server
                break;
        }
    }

    private void Register(RegisterPacket register, IPEndPoint source, int length, DateTimeOffset now)
    {
        if (!_cookies.IsValid(register.Cookie, source, now))
        {
            // Return routability before state: nothing is kept, and the cookie is smaller than any Register.
            SendCookie(register.Peer, source, length, now);
            return;
        }

        if (register.Room == SignalingCodec.AllocateNameplateRoom
            && _roomOfMember.TryGetValue(register.Peer, out var allocated) && allocated.IsNameplate
            && allocated.Find(register.Peer) is { } allocating && allocating.Reflexive.Equals(source))
        {
            // A retransmitted request for a nameplate: the same number again, never a second one.
            allocated.LastActivity = now;
            AnswerMember(allocated, allocating);
            return;
        }

        if (_roomOfMember.TryGetValue(register.Peer, out var previous) && previous.Name != register.Room && previous.Find(register.Peer) is { } elsewhere)
        {
            // Peer ids are unique among members (a Relay names no room). From the member's own address it changed rooms;
            // from anywhere else the id is someone else's.
            if (!elsewhere.Reflexive.Equals(source))
            {
                Statistics.WrongToken();
                _logger.LogDebug("Ignored a Register for room '{Room}' from {Source}: the peer id is a member elsewhere", register.Room, source);
                return;
            }

            Leave(previous, elsewhere);
        }

        if (register.HostCandidates.Count > _options.MaxCandidatesPerPeer)
        {
            Statistics.BadRequest();
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.BadRequest,
                $"too many host candidates ({register.HostCandidates.Count}); at most {_options.MaxCandidatesPerPeer}"), source);
            return;
        }

        if (register.Room == SignalingCodec.AllocateNameplateRoom)
        {
            if (FreeNameplate() is not { } number)
            {
                Statistics.ServerFull();
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server has no free code numbers; try again later"), source);
                return;
            }

            register = register with { Room = SignalingCodec.NameplateRoom(number) };
        }
        else if (register.Room.StartsWith('#')
            && (!SignalingCodec.IsNameplateRoom(register.Room) || !_rooms.TryGetValue(register.Room, out var plate) || (plate.Burned && plate.Find(register.Peer) is null)))
        {
            // A nameplate is joined only while allocated and unused: after one pairing, whatever its result, it is
            // burned, so a wrong guess of the code's words cannot be tried again on it.
            Statistics.UnknownRoom();
            LogRefusal("nameplate", () => _logger.LogInformation("Refused {Source}: nameplate '{Room}' is not open or was used", source, register.Room));
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.UnknownNameplate,
                "no such code number here: it was used, it expired, or it was never given; ask the other side for a new code"), source);
            return;
        }

        if (!_rooms.TryGetValue(register.Room, out var room))
        {
            if (_rooms.Count >= _options.MaxRooms)
            {
                Statistics.ServerFull();
                LogRefusal("server full", () => _logger.LogWarning("Refused room '{Room}': {Count} rooms are open", register.Room, _rooms.Count));
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server has too many open rooms; try again later"), source);
                return;
            }

            var owner = SourceAddress.Key(source.Address);
            var opened = _roomsBySource.GetValueOrDefault(owner);
            if (opened >= _options.MaxRoomsPerSource)
            {
                Statistics.SourceRoomsFull();
                LogRefusal("rooms per source", () => _logger.LogWarning("Refused room '{Room}': {Source} already has {Count} rooms open", register.Room, source, opened));
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull,
                    $"your address already has {opened} rooms open here; close one or try again later"), source);
                return;
            }

            room = new Room(register.Room, owner, new RoomPeer(register.Peer, MemberToken.New(), source, register.HostCandidates, PeerRole.Responder), now);
            _rooms.Add(room.Name, room);
            _roomOfMember[register.Peer] = room;
            Statistics.SetMembers(_roomOfMember.Count);
            _roomsBySource[owner] = opened + 1;
            Statistics.RoomCreated();
            Statistics.SetOpenRooms(_rooms.Count);
            _logger.LogInformation("Room '{Room}' opened by {Source}; waiting for a second peer", room.Name, source);
            AnswerMember(room, room.First);
            return;
        }

        if (room.Find(register.Peer) is { } known)
        {
            if (!known.Reflexive.Equals(source))
            {
                // A member's id from another address: moving takes the token (a KeepAlive), never just the id.
                Statistics.WrongToken();
                _logger.LogDebug("Ignored a Register for room '{Room}' from {Source}: the peer id is registered elsewhere", room.Name, source);
                return;
            }

            // A retransmitted Register: same answer as before.
            room.LastActivity = now;
            known.HostCandidates = register.HostCandidates;
            AnswerMember(room, known);
            return;
        }

        if (room.Second is not null)
        {
            Statistics.RoomFull();
            LogRefusal("room full", () => _logger.LogInformation("Refused {Source}: room '{Room}' is full", source, room.Name));
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.RoomFull, $"room '{room.Name}' is full"), source);
            return;
        }

        room.Second = new RoomPeer(register.Peer, MemberToken.New(), source, register.HostCandidates, PeerRole.Initiator);
        _roomOfMember[register.Peer] = room;
        Statistics.SetMembers(_roomOfMember.Count);
        room.LastActivity = now;
        if (room.IsNameplate)
        {
            room.Burned = true;
            _logger.LogInformation("Nameplate '{Room}' paired two peers; burned (no one else may join it)", room.Name);
        }
        Statistics.RoomPaired();
        _logger.LogInformation("Room '{Room}': {First} (responder) and {Second} (initiator) introduced", room.Name, room.First.Reflexive, source);
        // Both at once, with the same punch delay: the peers start punching at (nearly) the same moment.
        Reply(PeerInfoFor(room.First, room.Second), room.First.Reflexive);
        Reply(PeerInfoFor(room.Second, room.First), room.Second.Reflexive);
    }

    private void KeepAlive(KeepAlivePacket keepAlive, Room room, RoomPeer member, IPEndPoint source, int length, DateTimeOffset now)
    {
        if (!member.Reflexive.Equals(source))
        {
            // The token says who; only a cookie says the member really receives at the new address (its NAT rebound).
            if (!_cookies.IsValid(keepAlive.Cookie, source, now))
            {
                SendCookie(keepAlive.Peer, source, length, now);
                return;
            }

            _logger.LogInformation("Room '{Room}': a member moved from {Old} to {New}", room.Name, member.Reflexive, source);
            member.Reflexive = source;
        }

        room.LastActivity = now;
        if (keepAlive.Matched)
            return; // it already has its PeerInfo and keeps its membership for the relay: repeating it would only reflect bytes
        AnswerMember(room, member);
    }

    private void Relay(RelayPacket relay, IPEndPoint source, DateTimeOffset now)
    {
        if (!_roomOfMember.TryGetValue(relay.Peer, out var room) || room.Find(relay.Peer) is not { } member || !member.Reflexive.Equals(source))
        {
            // Never answered: the source may be spoofed, and answering would make the server a reflector.
            Statistics.RelayNotMember();
            _logger.LogDebug("Dropped a relay from {Source}: not a member", source);
            return;
        }

        if (!member.Token.Matches(relay.Token))
        {
            Statistics.WrongToken();
            _logger.LogDebug("Dropped a relay from {Source} in room '{Room}': wrong token", source, room.Name);
            return;
        }

        room.LastActivity = now;
        if (!_options.RelayEnabled)
        {
            Statistics.RelayDisabled();
            Notice(room, member, RelayLimitKind.Disabled, now, SignalingErrorCode.RelayDisabled,
                "this signaling server does not relay; only a direct path can connect these peers");
            return;
        }

        if ((member == room.First ? room.Second : room.First) is not { } other)
        {
            Statistics.RelayNoPeer();
            _logger.LogDebug("Dropped a relay in room '{Room}': the other peer is not there", room.Name);
            return;
        }

        var length = relay.Payload.Length;
        if (length > _options.MaxRelayPayloadBytes)
        {
            Statistics.RelayTooLarge();
            Notice(room, member, RelayLimitKind.Size, now, SignalingErrorCode.RelayLimit,
                $"the relay of room '{room.Name}' takes datagrams of at most {_options.MaxRelayPayloadBytes} bytes; this one had {length}");
            return;
        }

        if (room.Relay is null)
        {
            room.Relay = new RoomRelayAllowance(_options.RelayBytesPerSecond, _options.RelayBurstBytes, _options.RelayTotalBytes, now);
            _logger.LogInformation(
                "Room '{Room}': relaying between {First} and {Second} (limits {Rate}/s, bursts of {Burst}, {Total} in all)",
                room.Name, room.First.Reflexive, room.Second!.Reflexive,
                ByteCount.Format(_options.RelayBytesPerSecond), ByteCount.Format(_options.RelayBurstBytes), ByteCount.Format(_options.RelayTotalBytes));
        }

        switch (room.Relay.TryTake(length, now))
        {
            case RelayVerdict.RateExceeded:
                Statistics.RelayRateLimited();
                Notice(room, member, RelayLimitKind.Rate, now, SignalingErrorCode.RelayLimit,
                    $"the relay of room '{room.Name}' is limited to {ByteCount.Format(_options.RelayBytesPerSecond)}/s (bursts of {ByteCount.Format(_options.RelayBurstBytes)}); slow down");
                return;
            case RelayVerdict.TotalExceeded:
                Statistics.RelayTotalLimited();
                Notice(room, member, RelayLimitKind.Total, now, SignalingErrorCode.RelayLimit,
                    $"room '{room.Name}' has relayed its {ByteCount.Format(_options.RelayTotalBytes)} allowance; nothing more is relayed for it");
                return;
        }

        Statistics.RelayForwarded(length);
        Reply(new RelayedPacket(other.Token, member.Id, relay.Payload), other.Reflexive);
    }

    /// <summary>Tells a member why its relay was dropped, at most once per second per peer (one notice per datagram would be a flood of our own).</summary>
    private void Notice(Room room, RoomPeer member, RelayLimitKind kind, DateTimeOffset now, SignalingErrorCode code, string reason)
    {
        if ((room.LimitsLogged & kind) == 0)
        {
            room.LimitsLogged |= kind;
            _logger.LogWarning("Room '{Room}': relay refused for {Member}: {Reason}", room.Name, member.Reflexive, reason);
        }

        if (member.LastRelayNotice is { } last && now - last < RelayNoticeInterval)
            return;
        member.LastRelayNotice = now;
        Statistics.RelayNotice();
        Reply(new ErrorPacket(member.Id, code, reason), member.Reflexive);
    }

    private void Leave(Room room, RoomPeer member)
    {
        _roomOfMember.Remove(member.Id);
        Statistics.SetMembers(_roomOfMember.Count);
        if (room.Second is null)
        {
            RemoveRoom(room);
            Statistics.SetOpenRooms(_rooms.Count);
            _logger.LogInformation("Room '{Room}' closed: its peer left", room.Name);
            return;
        }

        // The one who stays keeps the room and becomes its first (responder) peer for whoever comes next.
        room.First = member == room.First ? room.Second : room.First;
        room.First.Role = PeerRole.Responder;
        room.Second = null;
        _logger.LogInformation("Room '{Room}': a peer left; one remains", room.Name);
    }

    private void RemoveRoom(Room room)
    {
        _rooms.Remove(room.Name);
        foreach (var member in (RoomPeer?[])[room.First, room.Second])
        {
            if (member is not null && _roomOfMember.TryGetValue(member.Id, out var of) && of == room)
                _roomOfMember.Remove(member.Id);
        }

        Statistics.SetMembers(_roomOfMember.Count);
        if (_roomsBySource.TryGetValue(room.Owner, out var count))
        {
            if (count <= 1)
                _roomsBySource.Remove(room.Owner);
            else
                _roomsBySource[room.Owner] = count - 1;
        }
    }

    /// <summary>The smallest nameplate whose room is not open (never one that is claimed), or null when all are.</summary>
    private int? FreeNameplate()
    {
        for (var number = 1; number <= ushort.MaxValue; number++)
        {
            if (!_rooms.ContainsKey(SignalingCodec.NameplateRoom(number)))
                return number;
        }
        return null;
    }

    private void AnswerMember(Room room, RoomPeer member)
    {
        if (room.Second is null)
            Reply(new RegisteredPacket(member.Id, member.Token, member.Reflexive, room.Nameplate), member.Reflexive);
        else
            Reply(PeerInfoFor(member, member == room.First ? room.Second : room.First), member.Reflexive);
    }

    private PeerInfoPacket PeerInfoFor(RoomPeer to, RoomPeer other) =>
        new(to.Id, to.Token, to.Role, _options.PunchDelay, to.Reflexive, other.Id, other.Reflexive, other.HostCandidates);

    private void SendCookie(PeerId peer, IPEndPoint source, int requestLength, DateTimeOffset now)
    {
        Statistics.CookieSent();
        ReplyWithin(new CookiePacket(peer, _cookies.For(source, now)), source, requestLength);
    }

    /// <summary>A reply to a source that has not proved its address: never more bytes than it sent (an Error's reason is cut to fit, or nothing is sent).</summary>
    private void ReplyWithin(SignalingPacket packet, IPEndPoint to, int requestLength)
    {
        var bytes = SignalingCodec.Encode(packet);
        if (bytes.Length > requestLength && packet is ErrorPacket error && requestLength > SignalingCodec.ErrorHeaderLength)
            bytes = SignalingCodec.Encode(error with { Reason = SignalingCodec.TruncateReason(error.Reason, requestLength - SignalingCodec.ErrorHeaderLength) });
        if (bytes.Length > requestLength)
        {
            Statistics.ReplyWithheld();
            return;
        }

        _send(bytes, to);
    }

    /// <summary>A refusal's log line: the first of each kind between two sweeps; the rest are counted and summed up at the sweep.</summary>
    private void LogRefusal(string kind, Action log)
    {
        if (_refusalsNotLogged.TryGetValue(kind, out var count))
        {
            _refusalsNotLogged[kind] = count + 1;
            return;
        }

        _refusalsNotLogged[kind] = 0;
        log();
    }

    private void Reply(SignalingPacket packet, IPEndPoint to) => _send(SignalingCodec.Encode(packet), to);

    private sealed class Room(string name, IPAddress owner, RoomPeer first, DateTimeOffset now)
    {
        public string Name { get; } = name;

        /// <summary>Who opened it (<see cref="SourceAddress.Key"/>), for the cap on rooms per source.</summary>
        public IPAddress Owner { get; } = owner;

        public RoomPeer First { get; set; } = first;

        public RoomPeer? Second { get; set; }

        public DateTimeOffset LastActivity { get; set; } = now;

        /// <summary>When it was opened: a nameplate's room lasts <see cref="SignalingServerOptions.NameplateLifetime"/> at most.</summary>
        public DateTimeOffset Opened { get; } = now;

        /// <summary>A nameplate's room (<c>#N</c>), allocated by this server.</summary>
        public bool IsNameplate { get; } = SignalingCodec.IsNameplateRoom(name);

        /// <summary>The nameplate's number, or 0 for a named room.</summary>
        public ushort Nameplate => IsNameplate && ushort.TryParse(Name.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : (ushort)0;

        /// <summary>A nameplate that paired two peers: nobody else may join it until it is released.</summary>
        public bool Burned { get; set; }

        /// <summary>Created when the room first relays; it stays with the room (a peer that leaves and rejoins does not reset it).</summary>
        public RoomRelayAllowance? Relay { get; set; }

        /// <summary>Limits already logged for this room (once each: the statistics count the rest).</summary>
        public RelayLimitKind LimitsLogged { get; set; }

        public RoomPeer? Find(PeerId id) => First.Id == id ? First : Second?.Id == id ? Second : null;
    }

    private sealed class RoomPeer(PeerId id, MemberToken token, IPEndPoint reflexive, IReadOnlyList<IPEndPoint> hostCandidates, PeerRole role)
    {
        public PeerId Id { get; } = id;

        public MemberToken Token { get; } = token;

        public IPEndPoint Reflexive { get; set; } = reflexive;

        public IReadOnlyList<IPEndPoint> HostCandidates { get; set; } = hostCandidates;

        public PeerRole Role { get; set; } = role;

        public DateTimeOffset? LastRelayNotice { get; set; }
    }

    [Flags]
    private enum RelayLimitKind
    {
        Disabled = 1,
        Size = 2,
        Rate = 4,
        Total = 8,
    }
}
