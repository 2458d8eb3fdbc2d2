using System.Net;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using SecretChat.Security;
using SecretChat.Signaling.Rooms;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Signaling;

/// <summary>Sends <paramref name="datagram"/> to <paramref name="to"/>; the caller may reuse the bytes once it returns.</summary>
internal delegate void DatagramSend(ReadOnlySpan<byte> datagram, IPEndPoint to);

/// <summary>
/// The server's behaviour without its socket: takes one datagram and its source, sends the answers through a callback.
/// STUN Binding requests are answered; signaling packets drive the rooms; everything else is counted and dropped.
/// Time comes from the scheduler, so room expiry and rate limits are tested in virtual time. The rooms live in an
/// <see cref="IRoomStore"/>: this process's memory by default, or Redis shared with other nodes; rate limits and cookies
/// are always this node's own.
/// </summary>
internal sealed class Rendezvous : IDisposable
{
    private readonly SignalingServerOptions _options;
    private readonly ILogger _logger;
    private readonly IScheduler _scheduler;
    private readonly Action<byte[], IPEndPoint> _send;
    private readonly DatagramSend _sendSpan;
    private readonly IRoomStore _store;
    private readonly Dictionary<string, int> _refusalsNotLogged = new(StringComparer.Ordinal);
    private readonly SourceRateLimit _rateLimit;
    private readonly SourceCookies _cookies;
    private readonly Lock _gate = new();
    private readonly IDisposable _sweep;

    /// <summary>Where a Relayed packet is written before it is sent (under the lock): no array per relayed datagram.</summary>
    private readonly byte[] _relayed = new byte[SignalingCodec.MaxRelayPacketLength];
    private bool _disposed;

    private static readonly TimeSpan RelayNoticeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Tries of one change when another node changed the same room meanwhile (each try reads it again).</summary>
    private const int StoreAttempts = 8;

    // sendSpan sends a datagram the caller may reuse once it returns (the relay's path); by default a copy goes to send.
    public Rendezvous(SignalingServerOptions options, ILogger logger, IScheduler scheduler, Action<byte[], IPEndPoint> send, IRoomStore? store = null, DatagramSend? sendSpan = null)
    {
        _options = options;
        _store = store ?? new InProcessRoomStore(options);
        _logger = logger;
        _scheduler = scheduler;
        _send = send;
        _sendSpan = sendSpan ?? ((datagram, to) => send(datagram.ToArray(), to));
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
            SignalingPacket? packet = null;
            try
            {
                // The relay's packets, most of a busy server's traffic, are read in place: no packet object, no copy.
                if (SignalingCodec.TryReadRelay(datagram, out var peer, out var token, out var payload))
                {
                    Statistics.SignalingHandled();
                    Relay(peer, token, payload, source, now);
                    return;
                }

                var signaling = SignalingCodec.IsSignaling(datagram);
                var decoded = signaling && SignalingCodec.TryDecode(datagram, out packet);
                ReceiveLocked(datagram, source, now, signaling, decoded ? packet : null);
            }
            catch (RoomStoreUnavailableException ex)
            {
                // Redis is away: refuse now (never wait for it), keep nothing; the multiplexer reconnects by itself. A
                // Register reaches the store only with a valid cookie, so its source is proven and may be told in full.
                Statistics.StoreUnavailable();
                LogRefusal("room store", () => _logger.LogWarning("Refused a packet from {Source}: the room store is unavailable ({Message})", source, ex.Message));
                if (packet is RegisterPacket register)
                    Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull,
                        "the signaling server cannot reach its room store right now; try again in a few seconds"), source);
            }
        }
    }

    private void ReceiveLocked(ReadOnlySpan<byte> datagram, IPEndPoint source, DateTimeOffset now, bool signaling, SignalingPacket? packet)
    {
        var decoded = packet is not null;

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

    /// <summary>Removes rooms idle for longer than the TTL, forgets idle rate-limit buckets, and logs the refusals it held back.</summary>
    public void Sweep()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            var now = _scheduler.Now;
            try
            {
                foreach (var name in _store.Sweep(now))
                {
                    Statistics.RoomExpired();
                    _logger.LogInformation("Room '{Room}' expired after {Seconds:0} s without traffic", name, _options.RoomTtl.TotalSeconds);
                }

                Statistics.SetOpenRooms(_store.Count);
                Statistics.SetMembers(_store.Members);
            }
            catch (RoomStoreUnavailableException ex)
            {
                LogRefusal("room store", () => _logger.LogWarning("Could not sweep the rooms: the room store is unavailable ({Message})", ex.Message));
            }

            _rateLimit.Sweep(now);
            foreach (var (kind, count) in _refusalsNotLogged)
            {
                if (count > 0)
                    _logger.LogWarning("{Count} more refusals ({Kind}) were not logged one by one", count, kind);
            }

            _refusalsNotLogged.Clear();
        }
    }

    /// <summary>Null while the room store answers; otherwise why this node cannot serve (not under the lock: a health probe never waits on traffic).</summary>
    public string? CheckHealth()
    {
        try
        {
            _store.Ping();
            return null;
        }
        catch (RoomStoreUnavailableException ex)
        {
            return $"the room store does not answer: {ex.Message}";
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        lock (_gate)
        {
            // A sweep already running holds the lock: the store goes away after it, and no sweep comes after.
            _disposed = true;
            _store.Dispose();
        }
    }

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

        if (_logger.IsEnabled(LogLevel.Debug)) // not a boxed argument array per answer when nobody reads it
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
                Relay(relay.Peer, relay.Token, relay.Payload.Span, source, now);
                return true;
            case KeepAlivePacket keepAlive when FindMember(keepAlive.Room, keepAlive.Peer, keepAlive.Token) is var (room, member):
                Statistics.SignalingHandled();
                // A false try means another node changed the room meanwhile: read it again.
                for (var attempt = 1; !KeepAlive(keepAlive, room, member, source, length, now) && attempt < StoreAttempts; attempt++)
                {
                    if (FindMember(keepAlive.Room, keepAlive.Peer, keepAlive.Token) is not var (again, itsMember))
                        break;
                    (room, member) = (again, itsMember);
                }

                return true;
            case LeavePacket leave when FindMember(leave.Room, leave.Peer, leave.Token) is var (room, member):
                Statistics.SignalingHandled();
                for (var attempt = 1; !Leave(room, member, now) && attempt < StoreAttempts; attempt++)
                {
                    if (FindMember(leave.Room, leave.Peer, leave.Token) is not var (again, itsMember))
                        break;
                    (room, member) = (again, itsMember);
                }

                return true;
            case TurnAddressPacket turnAddress:
                Statistics.SignalingHandled();
                ForwardTurnAddress(turnAddress, source, now);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The member <paramref name="peer"/> of <paramref name="roomName"/>, only if <paramref name="token"/> is its token (compared in constant time).</summary>
    private (Room Room, RoomPeer Member)? FindMember(string roomName, PeerId peer, MemberToken token) =>
        _store.Find(roomName) is { } room && room.Find(peer) is { } member && member.Token.Matches(token) ? (room, member) : null;

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
                if (_store.Find(keepAlive.Room) is { } room && room.Find(keepAlive.Peer) is not null)
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

        // In process every try succeeds; a shared store may see another node change the room between read and commit.
        for (var attempt = 1; !TryRegister(register, source, now); attempt++)
        {
            if (attempt == StoreAttempts)
            {
                Statistics.ServerFull();
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server is busy with this room; try again in a few seconds"), source);
                return;
            }
        }
    }

    /// <summary>One try at a Register: true when it was answered (or refused), false when another node changed the room meanwhile.</summary>
    private bool TryRegister(RegisterPacket register, IPEndPoint source, DateTimeOffset now)
    {
        var current = _store.RoomOf(register.Peer);
        if (register.Room == SignalingCodec.AllocateNameplateRoom
            && current is { IsNameplate: true } allocated
            && allocated.Find(register.Peer) is { } claimant && claimant.Reflexive.Equals(source))
        {
            // A retransmitted request for a nameplate: the same number again, never a second one.
            _store.Touch(allocated, now);
            AnswerMember(allocated, claimant);
            return true;
        }

        if (current is not null && current.Name != register.Room && current.Find(register.Peer) is { } elsewhere)
        {
            // Peer ids are unique among members (a Relay names no room). From the member's own address it changed rooms;
            // from anywhere else the id is someone else's.
            if (!elsewhere.Reflexive.Equals(source))
            {
                Statistics.WrongToken();
                _logger.LogDebug("Ignored a Register for room '{Room}' from {Source}: the peer id is a member elsewhere", register.Room, source);
                return true;
            }

            if (!Leave(current, elsewhere, now))
                return false;
        }

        if (register.HostCandidates.Count > _options.MaxCandidatesPerPeer)
        {
            Statistics.BadRequest();
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.BadRequest,
                $"too many host candidates ({register.HostCandidates.Count}); at most {_options.MaxCandidatesPerPeer}"), source);
            return true;
        }

        var allocating = register.Room == SignalingCodec.AllocateNameplateRoom;
        if (allocating)
        {
            if (_store.FreeNameplate() is not { } number)
            {
                Statistics.ServerFull();
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server has no free code numbers; try again later"), source);
                return true;
            }

            register = register with { Room = SignalingCodec.NameplateRoom(number) };
        }

        var room = _store.Find(register.Room);
        if (allocating && room is not null)
            return false; // another node took that number a moment ago: the next free one
        if (!allocating && register.Room.StartsWith('#')
            && (!SignalingCodec.IsNameplateRoom(register.Room) || room is null || (room.Burned && room.Find(register.Peer) is null)))
        {
            // A nameplate is joined only while allocated and unused: after one pairing, whatever its result, it is
            // burned, so a wrong guess of the code's words cannot be tried again on it.
            Statistics.UnknownRoom();
            LogRefusal("nameplate", () => _logger.LogInformation("Refused {Source}: nameplate '{Room}' is not open or was used", source, register.Room));
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.UnknownNameplate,
                "no such code number here: it was used, it expired, or it was never given; ask the other side for a new code"), source);
            return true;
        }

        if (room is null)
            return TryOpen(register, source, now);

        if (room.Find(register.Peer) is { } known)
        {
            var rejoin = !known.Reflexive.Equals(source);
            if ((rejoin || !register.Token.IsNone) && !known.Token.Matches(register.Token))
            {
                // A member's id from another address: moving takes the token (a KeepAlive, or a rejoin's Register), never
                // just the id.
                Statistics.WrongToken();
                _logger.LogDebug("Ignored a Register for room '{Room}' from {Source}: the peer id is registered elsewhere", room.Name, source);
                return true;
            }

            // A retransmitted Register, or a rejoin (the member's server stopped answering and it came here with its
            // token, cookie-proven at this address): the same answer as before, the same token.
            if (rejoin && room.Home is { } home && home.Equals(known.Node) && !home.Equals(_store.Node))
                room.Home = _store.Node; // it left the room's home node, which likely died: the relay moves here
            room.LastActivity = now;
            known.Reflexive = source;
            known.HostCandidates = register.HostCandidates;
            known.Node = _store.Node;
            if (!_store.TryUpdate(room, now))
                return false;
            if (rejoin)
                _logger.LogInformation("Room '{Room}': a member rejoined from {Source}", room.Name, source);
            AnswerMember(room, known);
            return true;
        }

        if (room.Second is not null)
        {
            Statistics.RoomFull();
            LogRefusal("room full", () => _logger.LogInformation("Refused {Source}: room '{Room}' is full", source, room.Name));
            Reply(new ErrorPacket(register.Peer, SignalingErrorCode.RoomFull, $"room '{room.Name}' is full"), source);
            return true;
        }

        room.Second = new RoomPeer(register.Peer, MemberToken.New(), source, register.HostCandidates, PeerRole.Initiator) { Node = _store.Node };
        room.LastActivity = now;
        room.Burned |= room.IsNameplate;
        if (!_store.TryUpdate(room, now))
            return false; // the room changed (a third member at another node, a leave): decide again on what it is now
        Statistics.SetMembers(_store.Members);

        if (room.IsNameplate)
            _logger.LogInformation("Nameplate '{Room}' paired two peers; burned (no one else may join it)", room.Name);
        Statistics.RoomPaired();
        _logger.LogInformation("Room '{Room}': {First} (responder) and {Second} (initiator) introduced", room.Name, room.First.Reflexive, source);
        // Both at once, with the same punch delay: the peers start punching at (nearly) the same moment. The first may
        // talk to another node: its PeerInfo goes out from there.
        ReplyToMember(room.First, PeerInfoFor(room.First, room.Second));
        Reply(PeerInfoFor(room.Second, room.First), room.Second.Reflexive);
        OfferTurn(room, room.First, now);
        OfferTurn(room, room.Second, now);
        return true;
    }

    /// <summary>Opens the room of <paramref name="register"/> with its sender as the first member, within the limits.</summary>
    private bool TryOpen(RegisterPacket register, IPEndPoint source, DateTimeOffset now)
    {
        var owner = SourceAddress.Key(source.Address);
        var first = new RoomPeer(register.Peer, MemberToken.New(), source, register.HostCandidates, PeerRole.Responder) { Node = _store.Node };
        var room = new Room(register.Room, owner, first, now) { Home = _store.Node };
        var added = _store.TryAdd(room, now);
        switch (added.Result)
        {
            case RoomAddResult.Exists:
                return false; // another node opened it a moment ago: join it
            case RoomAddResult.ServerFull:
                Statistics.ServerFull();
                LogRefusal("server full", () => _logger.LogWarning("Refused room '{Room}': {Count} rooms are open", register.Room, added.Open));
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull, "the signaling server has too many open rooms; try again later"), source);
                return true;
            case RoomAddResult.SourceFull:
                Statistics.SourceRoomsFull();
                LogRefusal("rooms per source", () => _logger.LogWarning("Refused room '{Room}': {Source} already has {Count} rooms open", register.Room, source, added.Open));
                Reply(new ErrorPacket(register.Peer, SignalingErrorCode.ServerFull,
                    $"your address already has {added.Open} rooms open here; close one or try again later"), source);
                return true;
        }

        Statistics.RoomCreated();
        Statistics.SetOpenRooms(_store.Count);
        Statistics.SetMembers(_store.Members);
        _logger.LogInformation("Room '{Room}' opened by {Source}; waiting for a second peer", room.Name, source);
        AnswerMember(room, room.First);
        return true;
    }

    /// <summary>False when another node changed the room meanwhile (nothing was answered).</summary>
    private bool KeepAlive(KeepAlivePacket keepAlive, Room room, RoomPeer member, IPEndPoint source, int length, DateTimeOffset now)
    {
        var moved = !member.Reflexive.Equals(source);
        if (moved)
        {
            // The token says who; only a cookie says the member really receives at the new address (its NAT rebound).
            if (!_cookies.IsValid(keepAlive.Cookie, source, now))
            {
                SendCookie(keepAlive.Peer, source, length, now);
                return true;
            }

            member.Reflexive = source;
        }

        if (moved || !Equals(member.Node, _store.Node))
        {
            // A new address, or a member that now talks to this node (its home's redirect, another node gone): recorded
            // for every node, so packets for it leave from here.
            member.Node = _store.Node;
            room.LastActivity = now;
            if (!_store.TryUpdate(room, now))
                return false;
            if (moved)
                _logger.LogInformation("Room '{Room}': a member moved to {New}", room.Name, source);
        }
        else
        {
            _store.Touch(room, now);
        }

        if (keepAlive.Matched)
        {
            // It already has its PeerInfo and keeps its membership for the relay: repeating it would only reflect bytes.
            // Asked, it gets the short proof that this server still knows it (no larger than the KeepAlive).
            if (keepAlive.AnswerWanted)
                ReplyWithin(new RegisteredPacket(member.Id, member.Token, member.Reflexive), source, length);
            // Its TURN credentials are renewed once half their life is gone (a proven member: token and address).
            if (room.Second is not null && _options.Turn is { } turn
                && (!room.Local.TurnExpires.TryGetValue(member.Id, out var expires) || expires - now < turn.CredentialLifetime / 2))
                OfferTurn(room, member, now);
            return true;
        }

        AnswerMember(room, member);
        return true;
    }

    private void Relay(PeerId peer, MemberToken token, ReadOnlySpan<byte> payload, IPEndPoint source, DateTimeOffset now)
    {
        if (_store.RoomOfForRelay(peer, now) is not { } room || room.Find(peer) is not { } member || !member.Reflexive.Equals(source))
        {
            // Never answered: the source may be spoofed, and answering would make the server a reflector.
            Statistics.RelayNotMember();
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("Dropped a relay from {Source}: not a member", source);
            return;
        }

        if (!member.Token.Matches(token))
        {
            Statistics.WrongToken();
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("Dropped a relay from {Source} in room '{Room}': wrong token", source, room.Name);
            return;
        }

        if (room.Home is { } home && !home.Equals(_store.Node))
        {
            // The room's relay runs on its home node only (its allowance is there): the member is told where, at most
            // once a second, and follows.
            Statistics.RelayRedirect();
            if (room.Local.LastNotice.TryGetValue(member.Id, out var told) && now - told < RelayNoticeInterval)
                return;
            room.Local.LastNotice[member.Id] = now;
            Reply(new RedirectPacket(member.Id, member.Token, home), source);
            return;
        }

        _store.Touch(room, now);
        if (!_options.RelayEnabled)
        {
            Statistics.RelayDisabled();
            Notice(room, member, RelayLimitKind.Disabled, now, SignalingErrorCode.RelayDisabled,
                "this signaling server does not relay; only a direct path can connect these peers");
            return;
        }

        if (room.Other(member) is not { } other)
        {
            Statistics.RelayNoPeer();
            _logger.LogDebug("Dropped a relay in room '{Room}': the other peer is not there", room.Name);
            return;
        }

        var length = payload.Length;
        if (length > _options.MaxRelayPayloadBytes)
        {
            Statistics.RelayTooLarge();
            Notice(room, member, RelayLimitKind.Size, now, SignalingErrorCode.RelayLimit,
                $"the relay of room '{room.Name}' takes datagrams of at most {_options.MaxRelayPayloadBytes} bytes; this one had {length}");
            return;
        }

        var local = room.Local;
        if (local.Relay is null)
        {
            local.Relay = new RoomRelayAllowance(_options.RelayBytesPerSecond, _options.RelayBurstBytes, _options.RelayTotalBytes, now);
            _logger.LogInformation(
                "Room '{Room}': relaying between {First} and {Second} (limits {Rate}/s, bursts of {Burst}, {Total} in all)",
                room.Name, room.First.Reflexive, room.Second!.Reflexive,
                ByteCount.Format(_options.RelayBytesPerSecond), ByteCount.Format(_options.RelayBurstBytes), ByteCount.Format(_options.RelayTotalBytes));
        }

        switch (local.Relay.TryTake(length, now))
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
        _sendSpan(_relayed.AsSpan(0, SignalingCodec.WriteRelayed(_relayed, other.Token, member.Id, payload)), other.Reflexive);
    }

    /// <summary>Tells a member why its relay was dropped, at most once per second per peer (one notice per datagram would be a flood of our own).</summary>
    private void Notice(Room room, RoomPeer member, RelayLimitKind kind, DateTimeOffset now, SignalingErrorCode code, string reason)
    {
        var local = room.Local;
        if ((local.LimitsLogged & kind) == 0)
        {
            local.LimitsLogged |= kind;
            _logger.LogWarning("Room '{Room}': relay refused for {Member}: {Reason}", room.Name, member.Reflexive, reason);
        }

        if (local.LastNotice.TryGetValue(member.Id, out var last) && now - last < RelayNoticeInterval)
            return;
        local.LastNotice[member.Id] = now;
        Statistics.RelayNotice();
        Reply(new ErrorPacket(member.Id, code, reason), member.Reflexive);
    }

    /// <summary><paramref name="member"/> leaves <paramref name="room"/>; false when another node changed the room meanwhile.</summary>
    private bool Leave(Room room, RoomPeer member, DateTimeOffset now)
    {
        room.Local.LastNotice.Remove(member.Id);
        if (room.Second is null)
        {
            if (!_store.TryRemove(room))
                return false;
            Statistics.SetOpenRooms(_store.Count);
            Statistics.SetMembers(_store.Members);
            _logger.LogInformation("Room '{Room}' closed: its peer left", room.Name);
            return true;
        }

        // The one who stays keeps the room and becomes its first (responder) peer for whoever comes next.
        room.First = member.Id == room.First.Id ? room.Second : room.First;
        room.First.Role = PeerRole.Responder;
        room.Second = null;
        if (!_store.TryUpdate(room, now, left: member))
            return false;
        Statistics.SetMembers(_store.Members);
        _logger.LogInformation("Room '{Room}': a peer left; one remains", room.Name);
        return true;
    }

    /// <summary>Answers the member that just sent us a packet (it is at this node).</summary>
    private void AnswerMember(Room room, RoomPeer member)
    {
        if (room.Second is null)
            Reply(new RegisteredPacket(member.Id, member.Token, member.Reflexive, room.Nameplate), member.Reflexive);
        else
        {
            Reply(PeerInfoFor(member, room.Other(member)!), member.Reflexive);
            OfferTurn(room, member, _scheduler.Now);
        }
    }

    /// <summary>A packet for a member, from the node it talks to: this one, or another through the shared store.</summary>
    private void ReplyToMember(RoomPeer member, SignalingPacket packet)
    {
        if (member.Node is null || member.Node.Equals(_store.Node))
            Reply(packet, member.Reflexive);
        else
            _store.Forward(member.Node, SignalingCodec.Encode(packet), member.Reflexive);
    }

    /// <summary>
    /// TURN credentials for a matched member (it proved its address with a cookie before it became one), valid for
    /// <see cref="TurnRelayOptions.CredentialLifetime"/>; nothing without a TURN server configured.
    /// </summary>
    private void OfferTurn(Room room, RoomPeer member, DateTimeOffset now)
    {
        if (_options.Turn is not { } turn)
            return;
        var expires = now + turn.CredentialLifetime;
        var credentials = TurnCredentials.FromSharedSecret(turn.SharedSecret, member.Id.ToString(), expires);
        room.Local.TurnExpires[member.Id] = expires;
        ReplyToMember(member, new TurnCredentialsPacket(member.Id, member.Token, turn.Server, credentials.Username, credentials.Password));
    }

    /// <summary>
    /// A member's relayed address, on to the other member with that one's token: same size as it came, only between the
    /// members of a room, from a member's own address with its token, and at most once a second unless it changed.
    /// </summary>
    private void ForwardTurnAddress(TurnAddressPacket packet, IPEndPoint source, DateTimeOffset now)
    {
        if (_options.Turn is null
            || _store.RoomOf(packet.Peer) is not { } room || room.Find(packet.Peer) is not { } member
            || !member.Reflexive.Equals(source) || !member.Token.Matches(packet.Token))
        {
            // Never answered, like a Relay from a non-member: the source may be spoofed.
            Statistics.RelayNotMember();
            _logger.LogDebug("Dropped a TURN address from {Source}: not a member with its token, or no TURN server here", source);
            return;
        }

        if (room.Other(member) is not { } other)
            return;
        if (room.Local.TurnAddressForwarded.TryGetValue(member.Id, out var last)
            && packet.RelayedAddress.Equals(last.Address) && now - last.At < TimeSpan.FromSeconds(1))
            return;
        _store.Touch(room, now);
        room.Local.TurnAddressForwarded[member.Id] = (packet.RelayedAddress, now);
        ReplyToMember(other, new TurnAddressPacket(member.Id, other.Token, packet.RelayedAddress));
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
}
