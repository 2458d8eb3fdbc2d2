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
        AnswerMember(room, member);
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

        public RoomPeer? Find(PeerId id) => First.Id == id ? First : Second?.Id == id ? Second : null;
    }

    private sealed class RoomPeer(PeerId id, IPEndPoint reflexive, IReadOnlyList<IPEndPoint> hostCandidates, PeerRole role)
    {
        public PeerId Id { get; } = id;

        public IPEndPoint Reflexive { get; set; } = reflexive;

        public IReadOnlyList<IPEndPoint> HostCandidates { get; set; } = hostCandidates;

        public PeerRole Role { get; set; } = role;
    }
}
