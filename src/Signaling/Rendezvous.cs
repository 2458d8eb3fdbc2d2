using System.Net;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
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
    private readonly SourceRateLimit _rateLimit;
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
        _sweep = scheduler.SchedulePeriodic(options.SweepInterval, Sweep);
    }

    public SignalingStatistics Statistics { get; } = new();

    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        Statistics.Datagram();
        lock (_gate)
        {
            var now = _scheduler.Now;
            if (IsRelay(datagram) && SignalingCodec.TryDecode(datagram, out var packet) && packet is RelayPacket relay)
            {
                // Relayed traffic is limited per room, whose members are known, not by the per-source packet rate meant
                // for signaling (a chat over the relay sends far more than 10 datagrams a second).
                Statistics.SignalingHandled();
                Relay(relay, source, now);
                return;
            }

            if (!_rateLimit.TryTake(source.Address, now, out var firstRefusal))
            {
                Statistics.RateLimited();
                if (firstRefusal)
                {
                    _logger.LogWarning("Rate-limiting {Source}", source);
                    if (SignalingCodec.IsSignaling(datagram))
                        Reply(new ErrorPacket(default, SignalingErrorCode.RateLimited, "too many packets from your address; slow down and try again in a few seconds"), source);
                }

                return;
            }

            if (StunMessage.IsStun(datagram))
                ReceiveStun(datagram, source);
            else if (SignalingCodec.IsSignaling(datagram))
                ReceiveSignaling(datagram, source, now);
            else
                Statistics.Unexpected();
        }
    }

    /// <summary>Removes rooms idle for longer than the TTL and forgets idle rate-limit buckets.</summary>
    public void Sweep()
    {
        lock (_gate)
        {
            var now = _scheduler.Now;
            List<Room>? expired = null;
            foreach (var room in _rooms.Values)
            {
                if (now - room.LastActivity >= _options.RoomTtl)
                    (expired ??= []).Add(room);
            }

            foreach (var room in expired ?? [])
            {
                _rooms.Remove(room.Name);
                Statistics.RoomExpired();
                _logger.LogInformation("Room '{Room}' expired after {Seconds:0} s without traffic", room.Name, _options.RoomTtl.TotalSeconds);
            }

            Statistics.SetOpenRooms(_rooms.Count);
            _rateLimit.Sweep(now);
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

        _logger.LogDebug("Answered STUN {Type} from {Source}", message.Type, source);
        Statistics.StunAnswered();
        _send(response, source);
    }

    private void ReceiveSignaling(ReadOnlySpan<byte> datagram, IPEndPoint source, DateTimeOffset now)
    {
        if (SignalingCodec.PeekVersion(datagram) is { } version && version != SignalingCodec.Version)
        {
            Statistics.Malformed();
            Reply(new ErrorPacket(default, SignalingErrorCode.UnsupportedVersion,
                $"this server speaks signaling version {SignalingCodec.Version}, not {version}; update SecretChat"), source);
            return;
        }

        if (!SignalingCodec.TryDecode(datagram, out var packet))
        {
            Statistics.Malformed();
            _logger.LogDebug("Dropped a malformed signaling packet from {Source}", source);
            return;
        }

        switch (packet)
        {
            case RegisterPacket register:
                Statistics.SignalingHandled();
                Register(register, source, now);
                break;
            case RelayPacket: // only when its version byte was not ours; handled above otherwise
                Statistics.Unexpected();
                break;
            case KeepAlivePacket keepAlive:
                Statistics.SignalingHandled();
                KeepAlive(keepAlive, source, now);
                break;
            case LeavePacket leave:
                Statistics.SignalingHandled();
                Leave(leave);
                break;
            default:
                Statistics.Unexpected(); // server-to-client packets sent to the server
                break;
        }
    }

    private void Register(RegisterPacket register, IPEndPoint source, DateTimeOffset now)
    {
        if (register.HostCandidates.Count > _options.MaxCandidatesPerPeer)
        {
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.BadRequest,
                $"too many host candidates ({register.HostCandidates.Count}); at most {_options.MaxCandidatesPerPeer}"), source);
            return;
        }

        if (!_rooms.TryGetValue(register.Room, out var room))
        {
            if (_rooms.Count >= _options.MaxRooms)
            {
                _logger.LogWarning("Refused room '{Room}': {Count} rooms are open", register.Room, _rooms.Count);
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server has too many open rooms; try again later"), source);
                return;
            }

            room = new Room(register.Room, new RoomPeer(register.Peer, source, register.HostCandidates, PeerRole.Responder), now);
            _rooms.Add(room.Name, room);
            Statistics.RoomCreated();
            Statistics.SetOpenRooms(_rooms.Count);
            _logger.LogInformation("Room '{Room}' opened by {Source}; waiting for a second peer", room.Name, source);
            Reply(new RegisteredPacket(register.Peer, source), source);
            return;
        }

        if (room.Find(register.Peer) is { } known)
        {
            // A retransmitted Register: same answer as before (the address may have changed if the NAT rebound).
            room.LastActivity = now;
            known.Reflexive = source;
            known.HostCandidates = register.HostCandidates;
            AnswerMember(room, known);
            return;
        }

        if (room.Second is not null)
        {
            Statistics.RoomFull();
            _logger.LogInformation("Refused {Source}: room '{Room}' is full", source, room.Name);
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.RoomFull, $"room '{room.Name}' is full"), source);
            return;
        }

        room.Second = new RoomPeer(register.Peer, source, register.HostCandidates, PeerRole.Initiator);
        room.LastActivity = now;
        Statistics.RoomPaired();
        _logger.LogInformation("Room '{Room}': {First} (responder) and {Second} (initiator) introduced", room.Name, room.First.Reflexive, source);
        // Both at once, with the same punch delay: the peers start punching at (nearly) the same moment.
        Reply(PeerInfoFor(room.First, room.Second), room.First.Reflexive);
        Reply(PeerInfoFor(room.Second, room.First), room.Second.Reflexive);
    }

    private void KeepAlive(KeepAlivePacket keepAlive, IPEndPoint source, DateTimeOffset now)
    {
        if (!_rooms.TryGetValue(keepAlive.Room, out var room) || room.Find(keepAlive.Peer) is not { } member)
        {
            Reply(new ErrorPacket(keepAlive.Peer, SignalingErrorCode.UnknownRoom,
                $"room '{keepAlive.Room}' does not exist here (it may have expired); register again"), source);
            return;
        }

        room.LastActivity = now;
        member.Reflexive = source;
        if (keepAlive.Matched)
            return; // it already has its PeerInfo and keeps its membership for the relay: repeating it would only reflect bytes
        AnswerMember(room, member);
    }

    private static bool IsRelay(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 2 && datagram[0] == (byte)SignalingPacketType.Relay && datagram[1] == SignalingCodec.Version;

    private void Relay(RelayPacket relay, IPEndPoint source, DateTimeOffset now)
    {
        if (!_rooms.TryGetValue(relay.Room, out var room) || room.Find(relay.Peer) is not { } member || !member.Reflexive.Equals(source))
        {
            // Never answered: the source may be spoofed, and answering would make the server a reflector.
            Statistics.RelayNotMember();
            _logger.LogDebug("Dropped a relay from {Source}: not a member of room '{Room}'", source, relay.Room);
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
        Reply(new RelayedPacket(member.Id, relay.Payload), other.Reflexive);
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

    private void Leave(LeavePacket leave)
    {
        if (!_rooms.TryGetValue(leave.Room, out var room) || room.Find(leave.Peer) is not { } member)
            return;
        if (room.Second is null)
        {
            _rooms.Remove(room.Name);
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

    private void AnswerMember(Room room, RoomPeer member)
    {
        if (room.Second is null)
            Reply(new RegisteredPacket(member.Id, member.Reflexive), member.Reflexive);
        else
            Reply(PeerInfoFor(member, member == room.First ? room.Second : room.First), member.Reflexive);
    }

    private PeerInfoPacket PeerInfoFor(RoomPeer to, RoomPeer other) =>
        new(to.Id, to.Role, _options.PunchDelay, to.Reflexive, other.Id, other.Reflexive, other.HostCandidates);

    private void Reply(SignalingPacket packet, IPEndPoint to) => _send(SignalingCodec.Encode(packet), to);

    private sealed class Room(string name, RoomPeer first, DateTimeOffset now)
    {
        public string Name { get; } = name;

        public RoomPeer First { get; set; } = first;

        public RoomPeer? Second { get; set; }

        public DateTimeOffset LastActivity { get; set; } = now;

        /// <summary>Created when the room first relays; it stays with the room (a peer that leaves and rejoins does not reset it).</summary>
        public RoomRelayAllowance? Relay { get; set; }

        /// <summary>Limits already logged for this room (once each: the statistics count the rest).</summary>
        public RelayLimitKind LimitsLogged { get; set; }

        public RoomPeer? Find(PeerId id) => First.Id == id ? First : Second?.Id == id ? Second : null;
    }

    private sealed class RoomPeer(PeerId id, IPEndPoint reflexive, IReadOnlyList<IPEndPoint> hostCandidates, PeerRole role)
    {
        public PeerId Id { get; } = id;

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
