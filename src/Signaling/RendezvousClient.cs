using System.Globalization;
using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecretChat.Security;
using SecretChat.Transport;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling;

/// <summary>
/// Registers in a room at the signaling server and waits for the other peer. Like <see cref="StunClient"/> it owns no
/// socket: it sends through a <see cref="SendDatagram"/> and is fed inbound datagrams with <see cref="TryHandle(ReadOnlySpan{byte}, IPEndPoint)"/>, so
/// signaling, STUN, hole punching and the session can share one UDP port (and so one NAT mapping).
/// </summary>
/// <remarks>
/// Register is retransmitted with doubling gaps until the server answers (or <see cref="RendezvousClientOptions.ServerTimeout"/>
/// passes); while waiting for the peer a KeepAlive goes out every <see cref="RendezvousClientOptions.KeepAliveInterval"/>,
/// and the server answers each one, so a lost PeerInfo is repeated and a vanished server is noticed.
/// The server's cookie round trip (return routability, before it keeps anything for us) is handled here: a Cookie packet
/// is stored and the Register (or KeepAlive) that drew it goes out again at once with it. The member token from the
/// server's Registered or PeerInfo goes into every KeepAlive, Leave and Relay, and must come back in every Relayed.
/// After the match the client stays a member of the room: <see cref="RelayAsync"/> sends session datagrams through the
/// server, <see cref="Relayed"/> brings the other peer's, and <see cref="KeepMembership"/> holds the room open meanwhile.
/// <para>
/// With several servers (nodes of one deployment sharing their rooms, docs/PROTOCOL.md §9.9) the client registers at
/// the first and moves to the next whenever its server stops answering, registering there again with the same room,
/// peer id and member token (a rejoin); a matched client asks for an answer to its KeepAlives so that it notices.
/// A server's <see cref="RedirectPacket"/> (with our id and token, from the server we talk to, a bounded number of
/// times) moves everything the client sends after the match to the room's home node.
/// </para>
/// </remarks>
public sealed class RendezvousClient : IDisposable
{
    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly RendezvousClientOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SerialDisposable _timer = new();
    private readonly SerialDisposable _membershipTimer = new();
    // Synchronized (Rx's contract: an observer is never entered twice at once): notices come from the socket's thread and
    // from the keepalive timer, and Dispose completes both from whichever thread disposes.
    private readonly ISubject<ReadOnlyMemory<byte>> _relayed = Subject.Synchronize(new Subject<ReadOnlyMemory<byte>>());
    private readonly ISubject<string> _relayNotices = Subject.Synchronize(new Subject<string>());
    private readonly IPEndPoint[] _servers;
    private readonly List<IPEndPoint> _homes = []; // the home nodes we followed a Redirect to (at most MaxServers)
    private IPEndPoint _server;
    private int _serverIndex;
    private int _failedInARow;
    private int _redirects;
    private bool _toldAllSilent;
    private Attempt? _attempt;
    private Membership? _membership;
    private MemberToken _token;
    private AddressCookie _cookie;
    private bool _disposed;

    /// <summary>A client of the signaling server at <paramref name="server"/>, sending through <paramref name="send"/>; feed it the datagrams that arrive from the server.</summary>
    /// <param name="send">Sends one datagram to the server: the owner of the socket implements it.</param>
    /// <param name="server">The signaling server's address.</param>
    /// <param name="scheduler">Times retransmissions, keepalives and timeouts.</param>
    /// <param name="options">Timings; the defaults when null.</param>
    /// <param name="logger">Where the client logs; nothing is logged when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="send"/>, <paramref name="server"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds an invalid value.</exception>
    public RendezvousClient(SendDatagram send, IPEndPoint server, IScheduler scheduler, RendezvousClientOptions? options = null, ILogger? logger = null)
        : this([server ?? throw new ArgumentNullException(nameof(server))], send, scheduler, options, logger)
    {
    }

    /// <summary>
    /// A client of a deployment of several signaling nodes that share their rooms: it registers at the first of
    /// <paramref name="servers"/> that answers, and moves to the next when its server stops answering (docs/PROTOCOL.md §9.9).
    /// </summary>
    /// <param name="servers">The signaling servers, in the order to try them (at least one, at most <see cref="MaxServers"/>; of both families only when the socket behind <paramref name="send"/> is dual-stack).</param>
    /// <param name="send">Sends one datagram: the owner of the socket implements it.</param>
    /// <param name="scheduler">Times retransmissions, keepalives and timeouts.</param>
    /// <param name="options">Timings; the defaults when null.</param>
    /// <param name="logger">Where the client logs; nothing is logged when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="send"/>, <paramref name="servers"/> (or one of them) or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="servers"/> is empty or too long, or <paramref name="options"/> holds an invalid value.</exception>
    public RendezvousClient(IReadOnlyList<IPEndPoint> servers, SendDatagram send, IScheduler scheduler, RendezvousClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (servers.Count == 0)
            throw new ArgumentException("At least one signaling server is needed.", nameof(servers));
        if (servers.Count > MaxServers)
            throw new ArgumentException($"At most {MaxServers} signaling servers can be tried; {servers.Count} were given.", nameof(servers));
        foreach (var each in servers)
            ArgumentNullException.ThrowIfNull(each, nameof(servers));
        // Both families may be mixed: the owner's socket must reach them all (a dual-stack one does, PeerSocket checks).
        _servers = [.. servers.Select(PlainAddress.Of)];
        options ??= new RendezvousClientOptions();
        options.Validate();
        _send = send;
        _server = _servers[0];
        _scheduler = scheduler;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The most servers one client tries (a name that resolves to more counts only its first addresses).</summary>
    public const int MaxServers = 16;

    /// <summary>
    /// The signaling server the client is talking to: the first of <see cref="Servers"/> until it stops answering, then
    /// the next; after a <see cref="RedirectPacket"/>, the room's home node. Signaling is accepted only from it.
    /// </summary>
    public IPEndPoint Server => Volatile.Read(ref _server);

    /// <summary>The servers to try, in order (IPv4-mapped addresses as IPv4).</summary>
    public IReadOnlyList<IPEndPoint> Servers => _servers;

    /// <summary>The id this client registers with (new for every client).</summary>
    public PeerId PeerId { get; } = PeerId.New();

    /// <summary>Our address as the server sees it, once it has answered.</summary>
    public IPEndPoint? ReflexiveAddress { get; private set; }

    /// <summary>
    /// Payloads the other peer of the room relayed through the server, surfaced by <see cref="TryHandle(ReadOnlySpan{byte}, IPEndPoint)"/> on its thread.
    /// A payload is valid only during <c>OnNext</c>: copy it to keep it. Completes on <see cref="Dispose"/>.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> Relayed => _relayed.AsObservable();

    /// <summary>
    /// One sentence per relay refusal from the server (rate, total allowance, datagram size, relaying switched off),
    /// e.g. "the relay of room 'x' is limited to 256 KiB/s (bursts of 1 MiB); slow down". The server sends at most one a second.
    /// </summary>
    public IObservable<string> RelayNotices => _relayNotices.AsObservable();

    /// <summary>
    /// The nameplate the server allocated to the last registration that asked for one
    /// (<see cref="SignalingCodec.AllocateNameplateRoom"/>), set before the waiting progress is reported; null otherwise.
    /// </summary>
    public int? Nameplate { get; private set; }

    /// <summary>
    /// Joins <paramref name="room"/> and returns once the server has introduced the other peer.
    /// <paramref name="waiting"/> hears our reflexive address when the server says we are first and waiting.
    /// </summary>
    /// <exception cref="SignalingTimeoutException">The server did not answer within the stated time.</exception>
    /// <exception cref="SignalingException">The server refused: room full, rate limited, bad request, other version.</exception>
    public Task<PeerMatch> RegisterAsync(string room, IReadOnlyList<IPEndPoint> hostCandidates, IProgress<IPEndPoint>? waiting = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(hostCandidates);
        if (!SignalingCodec.IsValidRoom(room))
            throw new ArgumentException($"'{room}' is not a valid room name: 1–{SignalingCodec.MaxRoomBytes} UTF-8 bytes without control characters.", nameof(room));
        if (hostCandidates.Count > SignalingCodec.MaxCandidates)
            throw new ArgumentException($"At most {SignalingCodec.MaxCandidates} host candidates fit in a Register.", nameof(hostCandidates));
        cancellationToken.ThrowIfCancellationRequested();

        Attempt attempt;
        lock (_gate)
        {
            if (_attempt is { Result.Task.IsCompleted: false })
                throw new InvalidOperationException("A registration is already in progress.");
            attempt = new Attempt(room, [.. hostCandidates], waiting);
            _attempt = attempt;
            _membership = null; // a new registration ends the previous room's membership
            _token = default;
            _membershipTimer.Disposable = null;
            _failedInARow = 0;
            _redirects = 0;
        }

        attempt.Registration = cancellationToken.Register(() => Finish(attempt, a => a.Result.TrySetCanceled(cancellationToken)));
        StartRegistering(attempt);
        return attempt.Result.Task;
    }

    /// <summary>
    /// Sends <paramref name="datagram"/> (a sealed session datagram, at most <see cref="SignalingCodec.MaxRelayPayloadBytes"/>
    /// bytes) to the server, which forwards it to the other peer of the room. Unreliable like any datagram; the server
    /// drops it silently when the room has lost its other peer, and with a <see cref="RelayNotices"/> sentence when a limit is hit.
    /// </summary>
    /// <exception cref="InvalidOperationException">No match yet (or the client left the room).</exception>
    public ValueTask RelayAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        if (datagram.Length > SignalingCodec.MaxRelayPayloadBytes)
            throw new ArgumentException($"A relayed datagram is at most {SignalingCodec.MaxRelayPayloadBytes} bytes; this one has {datagram.Length}.", nameof(datagram));
        var membership = CurrentMembership("relay");
        return _send(SignalingCodec.Encode(new RelayPacket(PeerId, Token, datagram)), Server, cancellationToken);
    }

    /// <summary>
    /// After a match: keep sending KeepAlive every <see cref="RendezvousClientOptions.KeepAliveInterval"/> so the room, the
    /// NAT mapping toward the server and so the relay stay alive while the session may need them. Each asks for a short
    /// answer (a Registered); when the room is gone the client registers again under the same id, and when the server
    /// stops answering (nothing for <see cref="RendezvousClientOptions.KeepAliveInterval"/> plus
    /// <see cref="RendezvousClientOptions.ServerTimeout"/>) it rejoins at the next server of the list. Stops on
    /// <see cref="LeaveAsync"/>, <see cref="Dispose"/> or a new <see cref="RegisterAsync"/>. Calling it again changes nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">No match yet (or the client left the room).</exception>
    public void KeepMembership()
    {
        var membership = CurrentMembership("keep its membership");
        lock (_gate)
        {
            if (membership.KeptAlive)
                return;
            membership.KeptAlive = true;
            membership.LastHeard = _scheduler.Now;
            _membershipTimer.Disposable = KeepAlive(membership);
        }
    }

    /// <summary>Tells the server we are done with the room (sent once; the room expires anyway if it is lost).</summary>
    public async ValueTask LeaveAsync(CancellationToken cancellationToken = default)
    {
        Attempt? attempt;
        MemberToken token;
        lock (_gate)
        {
            attempt = _attempt;
            token = _token;
            _membership = null;
            _membershipTimer.Disposable = null;
        }

        if (attempt is null)
            return;
        Finish(attempt, a => a.Result.TrySetCanceled(CancellationToken.None));
        if (token.IsNone)
            return; // never a member: the server would ignore a Leave without a token
        await _send(SignalingCodec.Encode(new LeavePacket(attempt.Room, PeerId, token)), Server, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Offers an inbound datagram. True when it was a signaling packet from the server (consumed, even if malformed), or
    /// a Relayed for us from another node of the deployment (the room's home node); false for anything else, which the
    /// caller passes on (STUN, session packets, punches).
    /// </summary>
    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!TryHandle(datagram, from, out var relayed))
            return false;
        if (relayed is { } payload)
            _relayed.OnNext(payload);
        return true;
    }

    /// <summary>
    /// As <see cref="TryHandle(ReadOnlySpan{byte}, IPEndPoint)"/>, but a datagram the matched peer relayed through the
    /// server comes back in <paramref name="relayed"/> (not through <see cref="Relayed"/>), so whoever reads the socket
    /// hands it on in one direction. Null for every other datagram.
    /// </summary>
    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from, out ReadOnlyMemory<byte>? relayed)
    {
        ArgumentNullException.ThrowIfNull(from);
        relayed = null;
        if (!SignalingCodec.IsSignaling(datagram))
            return false;
        if (!PlainAddress.Same(from, Server))
            return TryRelayedFromAnotherNode(datagram, from, out relayed);
        if (!SignalingCodec.TryDecode(datagram, out var packet))
        {
            if (SignalingCodec.PeekVersion(datagram) is { } version && version != SignalingCodec.Version)
                FailCurrent(new SignalingException($"the signaling server {Server} speaks signaling version {version}; this SecretChat speaks {SignalingCodec.Version}", SignalingErrorCode.UnsupportedVersion));
            return true;
        }

        if (packet is not null && IsForUs(packet))
            Heard(rejoined: packet is RegisteredPacket or PeerInfoPacket);

        switch (packet)
        {
            case RelayedPacket relayedPacket:
                // Only from the peer we matched with (after it left, a newcomer in the room is not our session's peer),
                // and only with our token: a datagram forged from the server's address does not know it.
                if (Volatile.Read(ref _membership) is { } membership && relayedPacket.From == membership.Peer && Token.Matches(relayedPacket.Token))
                    relayed = relayedPacket.Payload;
                return true;
            case CookiePacket cookie when cookie.Peer == PeerId:
                Prove(cookie.Cookie);
                return true;
            case RegisteredPacket { Token: var token } registered when registered.Peer == PeerId:
                SetToken(token);
                break;
            case PeerInfoPacket { Token: var token } info when info.Peer == PeerId:
                SetToken(token);
                break;
            case ErrorPacket { Code: SignalingErrorCode.RelayLimit or SignalingErrorCode.RelayDisabled } error when error.Peer == PeerId:
                _logger.LogInformation("Relay refused by the signaling server: {Reason}", error.Reason);
                _relayNotices.OnNext(error.Reason);
                return true;
            case ErrorPacket { Code: SignalingErrorCode.UnknownRoom } gone when gone.Peer == PeerId && Volatile.Read(ref _membership) is { KeptAlive: true } kept:
                // The server lost the room (restart, expiry): join it again under the same id so the relay keeps working;
                // the other peer does the same, and the PeerInfo that follows changes nothing for a matched client.
                _logger.LogInformation("Room '{Room}' was gone at the server; registering again to keep relaying", kept.Room);
                _ = SendQuietlyAsync(RegisterFor(kept.Room, kept.HostCandidates));
                return true;
            case RedirectPacket redirect:
                FollowRedirect(redirect);
                return true;
        }

        Attempt? attempt;
        lock (_gate)
            attempt = _attempt;
        if (attempt is null || attempt.Result.Task.IsCompleted)
            return true;
        attempt.LastHeard = _scheduler.Now;

        switch (packet)
        {
            case RegisteredPacket registered when registered.Peer == PeerId:
                ReflexiveAddress = registered.ReflexiveAddress;
                if (attempt.Room == SignalingCodec.AllocateNameplateRoom && registered.Nameplate != 0)
                {
                    // The server allocated a nameplate: from now on this client is a member of its room.
                    attempt.Room = SignalingCodec.NameplateRoom(registered.Nameplate);
                    Nameplate = registered.Nameplate;
                }

                if (!attempt.Waiting)
                {
                    attempt.Waiting = true;
                    _logger.LogInformation("Registered in room '{Room}' as {Reflexive}; waiting for the other peer", attempt.Room, registered.ReflexiveAddress);
                    attempt.Progress?.Report(registered.ReflexiveAddress);
                    StartWaiting(attempt);
                }

                break;
            case PeerInfoPacket info when info.Peer == PeerId:
                ReflexiveAddress = info.ReflexiveAddress;
                var match = new PeerMatch(info.Role, info.ReflexiveAddress, info.OtherPeer, info.OtherReflexiveAddress, info.OtherHostCandidates, info.PunchDelay);
                _logger.LogInformation("Room '{Room}': met {Peer} as {Role}", attempt.Room, info.OtherReflexiveAddress, info.Role);
                lock (_gate)
                {
                    if (_attempt == attempt && !attempt.Result.Task.IsCompleted)
                        _membership = new Membership(attempt.Room, info.OtherPeer, attempt.HostCandidates);
                }

                Finish(attempt, a => a.Result.TrySetResult(match));
                break;
            case ErrorPacket { Code: SignalingErrorCode.UnknownRoom } when attempt.Waiting && SignalingCodec.IsNameplateRoom(attempt.Room):
                // A nameplate that vanished is not joined again: it expired or was released, and its number is no longer ours.
                FailCurrent(new SignalingException("the code's number expired at the signaling server; start again for a new code", SignalingErrorCode.UnknownNameplate));
                break;
            case ErrorPacket { Code: SignalingErrorCode.UnknownRoom } when attempt.Waiting:
                // The room vanished under us (server restart, expiry): join again.
                _logger.LogInformation("Room '{Room}' was gone at the server; registering again", attempt.Room);
                attempt.Waiting = false;
                StartRegistering(attempt);
                break;
            case ErrorPacket error when error.Peer == PeerId || error.Peer == default:
                FailCurrent(new SignalingException(Sentence(error), error.Code));
                break;
        }

        return true;
    }

    /// <summary>
    /// A Relayed from another node of our deployment (one of <see cref="Servers"/>, or a home node we were redirected
    /// to) than the one we talk to: the room's relay runs on its home node, which forwards from its own address even to
    /// a member that still talks to another node (a member is redirected only when it relays itself). Taken under the
    /// same rule as from our server: the matched peer's id and our member token. Nothing else is taken from there, and
    /// nothing at all from any other address.
    /// </summary>
    private bool TryRelayedFromAnotherNode(ReadOnlySpan<byte> datagram, IPEndPoint from, out ReadOnlyMemory<byte>? relayed)
    {
        relayed = null;
        if (datagram[0] != (byte)SignalingPacketType.Relayed || !IsNode(from)
            || !SignalingCodec.TryDecode(datagram, out var packet) || packet is not RelayedPacket relayedPacket
            || Volatile.Read(ref _membership) is not { } membership || relayedPacket.From != membership.Peer || !Token.Matches(relayedPacket.Token))
            return false;
        relayed = relayedPacket.Payload;
        return true;
    }

    /// <summary>
    /// Stops the timers, fails a pending registration with <see cref="ObjectDisposedException"/> and completes the
    /// relay streams. Idempotent.
    /// </summary>
    public void Dispose()
    {
        Attempt? attempt;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            attempt = _attempt;
            _membership = null;
        }

        if (attempt is not null)
            Finish(attempt, a => a.Result.TrySetException(new ObjectDisposedException(nameof(RendezvousClient))));
        _timer.Dispose();
        _membershipTimer.Dispose();
        _relayed.OnCompleted();
        _relayNotices.OnCompleted();
    }

    private Membership CurrentMembership(string what)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _membership ?? throw new InvalidOperationException($"Cannot {what} before the server has introduced the other peer (RegisterAsync returned a match), nor after leaving the room.");
        }
    }

    /// <summary>For datagrams whose loss the protocol already tolerates (keepalives, re-registering): a send error is logged, not thrown.</summary>
    private async Task SendQuietlyAsync(byte[] datagram)
    {
        try
        {
            await _send(datagram, Server, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (TransportErrors.IsLostDatagram(ex))
        {
            _logger.LogDebug("Could not send to the signaling server {Server}: {Message}", Server, ex.Message);
        }
    }

    private string Sentence(ErrorPacket error) => error.Code switch
    {
        SignalingErrorCode.RateLimited => $"the signaling server {Server} is rate-limiting this address: {error.Reason}",
        _ => error.Reason,
    };

    private void StartRegistering(Attempt attempt)
    {
        var deadline = _scheduler.Now + _options.ServerTimeout;
        var backoff = new Backoff(_options.InitialRetransmit, _options.MaxRetransmit);
        var gap = backoff.Initial;
        SendRegister(attempt);
        _timer.Disposable = _scheduler.Schedule(gap, self =>
        {
            if (attempt.Waiting || attempt.Result.Task.IsCompleted) return;
            var now = _scheduler.Now;
            if (now >= deadline)
            {
                var silent = Server;
                if (TryNextServer())
                {
                    _logger.LogInformation("The signaling server {Silent} did not answer; registering at {Next}", silent, Server);
                    StartRegistering(attempt);
                    return;
                }

                FailCurrent(new SignalingTimeoutException(_servers.Length == 1
                    ? $"the signaling server {Server} did not answer within {Seconds(_options.ServerTimeout)} s"
                    : $"none of the signaling servers ({string.Join(", ", _servers.AsEnumerable())}) answered within {Seconds(_options.ServerTimeout)} s"));
                return;
            }

            SendRegister(attempt);
            gap = backoff.Next(gap);
            var next = deadline - now < gap ? deadline - now : gap;
            self(next);
        });
    }

    /// <summary>
    /// While waiting for the peer: a KeepAlive every <see cref="RendezvousClientOptions.KeepAliveInterval"/>, and when one
    /// goes unanswered, again after the Register backoff, so that only a silence of
    /// <see cref="RendezvousClientOptions.ServerTimeout"/> after an unanswered KeepAlive (several datagrams lost in a row,
    /// not one exchange) means the server is gone. Each answer also repeats the peer's introduction if that was lost.
    /// </summary>
    private void StartWaiting(Attempt attempt)
    {
        var backoff = new Backoff(_options.InitialRetransmit, _options.MaxRetransmit);
        var lastSent = DateTimeOffset.MinValue;
        var retry = backoff.Initial;
        _timer.Disposable = _scheduler.Schedule(_options.KeepAliveInterval, self =>
        {
            if (!attempt.Waiting || attempt.Result.Task.IsCompleted) return;
            var now = _scheduler.Now;
            var deadline = attempt.LastHeard + _options.KeepAliveInterval + _options.ServerTimeout;
            if (now >= deadline)
            {
                var silent = Server;
                if (TryNextServer())
                {
                    // Rejoin: the same room, id and token at the next server, which shares the room if it is a node of the same deployment.
                    _logger.LogInformation("The signaling server {Silent} stopped answering; registering again at {Next}", silent, Server);
                    attempt.Waiting = false;
                    StartRegistering(attempt);
                    return;
                }

                FailCurrent(new SignalingTimeoutException(_servers.Length == 1
                    ? $"the signaling server {Server} stopped answering (nothing for {Seconds(now - attempt.LastHeard)} s)"
                    : $"the signaling servers ({string.Join(", ", _servers.AsEnumerable())}) stopped answering, each for {Seconds(_options.KeepAliveInterval + _options.ServerTimeout)} s"));
                return;
            }

            var answered = attempt.LastHeard >= lastSent;
            TimeSpan next;
            if (answered && lastSent != DateTimeOffset.MinValue && now - lastSent < _options.KeepAliveInterval)
            {
                next = lastSent + _options.KeepAliveInterval - now; // answered: the next one after the interval
            }
            else
            {
                retry = answered ? backoff.Initial : backoff.Next(retry);
                Send(attempt, KeepAliveFor(attempt.Room, matched: false));
                lastSent = now;
                next = retry; // look again then: answered, wait out the interval; not, ask again
            }
            self(deadline - now < next ? deadline - now : next);
        });
    }

    private void SendRegister(Attempt attempt) => Send(attempt, RegisterFor(attempt.Room, attempt.HostCandidates));

    /// <summary>Our member token (none before the server's first Registered or PeerInfo).</summary>
    internal MemberToken Token
    {
        get
        {
            lock (_gate)
                return _token;
        }
    }

    private void SetToken(MemberToken token)
    {
        lock (_gate)
            _token = token;
    }

    /// <summary>A Register; with the token we hold, if any, so that another node of the deployment knows it is us (a rejoin).</summary>
    private byte[] RegisterFor(string room, IPEndPoint[] hostCandidates)
    {
        lock (_gate)
            return SignalingCodec.Encode(new RegisterPacket(room, PeerId, hostCandidates, _cookie, _token));
    }

    /// <summary>A KeepAlive; a matched one asks for an answer, so that a silent server is noticed.</summary>
    private byte[] KeepAliveFor(string room, bool matched)
    {
        lock (_gate)
            return SignalingCodec.Encode(new KeepAlivePacket(room, PeerId, _token, matched, _cookie, AnswerWanted: matched));
    }

    /// <summary>
    /// The server wants proof that we receive at our address: keep the cookie and send again at once what drew it, a
    /// Register while registering, a KeepAlive (its NAT mapping changed) while waiting or matched.
    /// </summary>
    private void Prove(AddressCookie cookie)
    {
        Attempt? attempt;
        Membership? membership;
        lock (_gate)
        {
            _cookie = cookie;
            attempt = _attempt;
            membership = _membership;
        }

        if (attempt is { Waiting: false, Result.Task.IsCompleted: false })
            SendRegister(attempt);
        else if (attempt is { Waiting: true, Result.Task.IsCompleted: false })
            Send(attempt, KeepAliveFor(attempt.Room, matched: false));
        else if (membership is not null)
            _ = SendQuietlyAsync(MembershipPacket(membership));
    }

    private void Send(Attempt attempt, byte[] datagram) => _ = SendAsync(attempt, datagram);

    private async Task SendAsync(Attempt attempt, byte[] datagram)
    {
        try
        {
            await _send(datagram, Server, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Finish(attempt, a => a.Result.TrySetException(new SignalingException($"could not send to the signaling server {Server}: {ex.Message}", ex)));
        }
    }

    private void FailCurrent(Exception error)
    {
        Attempt? attempt;
        lock (_gate)
            attempt = _attempt;
        if (attempt is not null)
            Finish(attempt, a => a.Result.TrySetException(error));
    }

    private void Finish(Attempt attempt, Func<Attempt, bool> complete)
    {
        if (!complete(attempt))
            return;
        attempt.Registration.Dispose();
        lock (_gate)
        {
            if (_attempt == attempt)
                _timer.Disposable = null;
        }
    }

    /// <summary>
    /// The matched client's KeepAlive loop: one every <see cref="RendezvousClientOptions.KeepAliveInterval"/> while they
    /// are answered, again with the Register backoff while not; after a silence of the interval plus
    /// <see cref="RendezvousClientOptions.ServerTimeout"/>, a rejoin at the next server (the same one when there is only one).
    /// </summary>
    private IDisposable KeepAlive(Membership membership)
    {
        var backoff = new Backoff(_options.InitialRetransmit, _options.MaxRetransmit);
        var lastSent = DateTimeOffset.MinValue;
        var retry = backoff.Initial;
        return _scheduler.Schedule(_options.KeepAliveInterval, self =>
        {
            DateTimeOffset lastHeard;
            bool rejoining;
            lock (_gate)
            {
                if (_membership != membership || _disposed) return;
                (lastHeard, rejoining) = (membership.LastHeard, membership.Rejoining); // set on the receiving thread
            }

            var now = _scheduler.Now;
            if (now >= lastHeard + _options.KeepAliveInterval + _options.ServerTimeout)
            {
                Rejoin(membership, now);
                retry = backoff.Initial;
                _ = SendQuietlyAsync(MembershipPacket(membership));
                lastSent = now;
                self(retry);
                return;
            }

            var deadline = lastHeard + _options.KeepAliveInterval + _options.ServerTimeout;
            var answered = lastHeard >= lastSent && !rejoining;
            TimeSpan next;
            if (answered && lastSent != DateTimeOffset.MinValue && now - lastSent < _options.KeepAliveInterval)
            {
                next = lastSent + _options.KeepAliveInterval - now;
            }
            else
            {
                retry = answered ? backoff.Initial : backoff.Next(retry);
                _ = SendQuietlyAsync(MembershipPacket(membership));
                lastSent = now;
                next = retry;
            }

            self(deadline - now < next ? deadline - now : next);
        });
    }

    /// <summary>Our server went silent after the match: register at the next one with the same room, id and token.</summary>
    private void Rejoin(Membership membership, DateTimeOffset now)
    {
        var silent = Server;
        var roundFailed = !TryNextServer();
        bool tell;
        lock (_gate)
        {
            if (roundFailed)
            {
                // Every server failed in a row: start the round again (the session goes on without them meanwhile).
                _failedInARow = 0;
                _serverIndex = (_serverIndex + 1) % _servers.Length;
                _server = _servers[_serverIndex];
                _cookie = default;
                _redirects = 0;
            }

            tell = roundFailed && !_toldAllSilent;
            _toldAllSilent |= roundFailed;
            membership.Rejoining = true;
            membership.LastHeard = now; // the next server gets its full time
        }

        _logger.LogInformation("The signaling server {Silent} stopped answering; joining room '{Room}' again at {Next}", silent, membership.Room, Server);
        if (tell)
            _relayNotices.OnNext(_servers.Length == 1
                ? $"the signaling server {silent} stopped answering; the relay is unavailable until it answers again (a direct path is not affected)"
                : "none of the signaling servers is answering; the relay is unavailable until one answers again (a direct path is not affected)");
    }

    /// <summary>What the matched client sends its server now: a Register while rejoining, a KeepAlive otherwise.</summary>
    private byte[] MembershipPacket(Membership membership) =>
        membership.Rejoining ? RegisterFor(membership.Room, membership.HostCandidates) : KeepAliveFor(membership.Room, matched: true);

    /// <summary>
    /// Moves to the next server of the list after the current one failed to answer; false (staying put) when every server
    /// has now failed in a row since one last answered. A new server has never seen our cookie, nor redirected us.
    /// </summary>
    private bool TryNextServer()
    {
        lock (_gate)
        {
            if (++_failedInARow >= _servers.Length)
                return false;
            _serverIndex = (_serverIndex + 1) % _servers.Length;
            _server = _servers[_serverIndex];
            _cookie = default;
            _redirects = 0;
            return true;
        }
    }

    /// <summary>True for a packet only our server could send: it names our peer id, or (Relayed) carries our token.</summary>
    private bool IsForUs(SignalingPacket packet) => packet switch
    {
        RegisteredPacket p => p.Peer == PeerId,
        PeerInfoPacket p => p.Peer == PeerId,
        CookiePacket p => p.Peer == PeerId,
        ErrorPacket p => p.Peer == PeerId,
        RelayedPacket p => Token.Matches(p.Token),
        RedirectPacket p => p.Peer == PeerId && Token.Matches(p.Token),
        _ => false,
    };

    /// <summary>The server we talk to is alive: the failover round starts again; its Registered or PeerInfo answers a rejoin.</summary>
    private void Heard(bool rejoined)
    {
        lock (_gate)
        {
            _failedInARow = 0;
            _toldAllSilent = false;
            if (_membership is { } membership)
            {
                membership.LastHeard = _scheduler.Now;
                membership.Rejoining &= !rejoined;
            }
        }
    }

    /// <summary>
    /// Follows a server's Redirect to the room's home node (docs/PROTOCOL.md §9.9): only with our own id and token (a
    /// forged one moves no one), at most <see cref="RendezvousClientOptions.MaxRedirects"/> times per server, and
    /// never to an address a server on the network has no business naming (loopback unless the server is itself on
    /// loopback, unspecified, multicast, broadcast, link-local, port 0, the other address family).
    /// </summary>
    private void FollowRedirect(RedirectPacket redirect)
    {
        var home = PlainAddress.Of(redirect.HomeNode);
        Membership? membership;
        Attempt? attempt;
        IPEndPoint from;
        lock (_gate)
        {
            from = _server;
            if (_disposed || redirect.Peer != PeerId || !_token.Matches(redirect.Token))
            {
                _logger.LogDebug("Ignored a Redirect from {Server}: not for this member", from);
                return;
            }

            if (PlainAddress.Same(home, from))
                return;
            if (!MayRedirectTo(home, from))
            {
                _logger.LogWarning("Ignored a Redirect from {Server} to {Home}: not an address a signaling node can be at", from, home);
                return;
            }

            if (_redirects >= _options.MaxRedirects)
            {
                _logger.LogWarning("Ignored a Redirect from {Server} to {Home}: already redirected {Count} times", from, home, _redirects);
                return;
            }

            _redirects++;
            _server = home;
            if (_homes.Count < MaxServers && !_homes.Exists(h => PlainAddress.Same(h, home)))
                _homes.Add(home);
            _cookie = default; // the home node's cookie is its own
            membership = _membership;
            attempt = _attempt;
            if (membership is not null)
                membership.LastHeard = _scheduler.Now;
        }

        _logger.LogInformation("The signaling server {Server} redirected this member to the room's home node {Home}", from, home);
        if (membership is not null)
            _ = SendQuietlyAsync(MembershipPacket(membership)); // the home node learns our address as it sees it
        else if (attempt is { Waiting: true, Result.Task.IsCompleted: false })
        {
            attempt.LastHeard = _scheduler.Now;
            Send(attempt, KeepAliveFor(attempt.Room, matched: false));
        }
    }

    /// <summary>True for one of our servers, or a home node we were redirected to.</summary>
    internal bool IsNode(IPEndPoint endPoint)
    {
        foreach (var server in _servers)
        {
            if (PlainAddress.Same(endPoint, server))
                return true;
        }

        lock (_gate)
            return _homes.Exists(home => PlainAddress.Same(endPoint, home));
    }

    /// <summary>Whether a server at <paramref name="server"/> may send us to <paramref name="home"/>.</summary>
    internal static bool MayRedirectTo(IPEndPoint home, IPEndPoint server)
    {
        home = PlainAddress.Of(home);
        server = PlainAddress.Of(server);
        var address = home.Address;
        if (home.Port == 0 || address.AddressFamily != server.AddressFamily)
            return false;
        if (IPAddress.IsLoopback(server.Address))
            return IPAddress.IsLoopback(address); // a test or a single machine: the nodes are here too
        if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6Multicast || address.IsIPv6SiteLocal
            || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
            return false;
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var first = address.GetAddressBytes()[0];
            if (first == 0 || first >= 224) // "this network", multicast, reserved and broadcast
                return false;
            var bytes = address.GetAddressBytes();
            if (bytes[0] == 169 && bytes[1] == 254) // link-local
                return false;
        }

        return true;
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>What a matched client needs to stay in its room: the room, the peer it met, and its candidates to rejoin with.</summary>
    private sealed class Membership(string room, PeerId peer, IPEndPoint[] hostCandidates)
    {
        public string Room { get; } = room;

        public PeerId Peer { get; } = peer;

        public IPEndPoint[] HostCandidates { get; } = hostCandidates;

        public bool KeptAlive { get; set; }

        /// <summary>When the server last sent us something with our id or token (its answers to our KeepAlives, mostly).</summary>
        public DateTimeOffset LastHeard { get; set; }

        /// <summary>True from moving to the next server until it answers our Register there.</summary>
        public bool Rejoining { get; set; }
    }

    private sealed class Attempt(string room, IPEndPoint[] hostCandidates, IProgress<IPEndPoint>? progress)
    {
        /// <summary>The room; a request for a nameplate (<see cref="SignalingCodec.AllocateNameplateRoom"/>) becomes <c>#N</c> once allocated.</summary>
        public string Room { get; set; } = room;

        public IPEndPoint[] HostCandidates { get; } = hostCandidates;

        public IProgress<IPEndPoint>? Progress { get; } = progress;

        public TaskCompletionSource<PeerMatch> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public bool Waiting { get; set; }

        public DateTimeOffset LastHeard { get; set; }
    }
}
