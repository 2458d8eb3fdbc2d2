using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using SecretChat.Transport;
using SecretChat.Transport.Turn;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>
/// The TURN side of a p2p socket, when the signaling server offers a TURN server: allocates with the credentials the
/// server handed us, tells the other member our relayed address through the server, and permits the other member's
/// relayed address once it arrives. The session then reaches the peer at the peer's relayed address (through our own
/// allocation: our relayed address sends to theirs), so that address is the relay candidate.
/// </summary>
/// <remarks>
/// Everything it learns comes from the signaling server's address with our member token (the socket checks both before
/// handing a packet here), and only the peer we matched with may name its relayed address. The TURN server sees only
/// the sealed session datagrams.
/// </remarks>
internal sealed class TurnRelay : IAsyncDisposable
{
    /// <summary>How often our relayed address is sent again until the peer's arrived (the server forwards at most once a second).</summary>
    private static readonly TimeSpan AnnounceInterval = TimeSpan.FromSeconds(1);

    /// <summary>How many times our relayed address is sent at most (it may be lost on the way, like any datagram).</summary>
    private const int MaxAnnouncements = 8;

    private readonly RendezvousClient _rendezvous;
    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly IPAddress _signalingServer;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<IPEndPoint?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _offered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Replayed: the allocation may fail before the session exists and anyone listens (the chat subscribes once connected).
    // Synchronized: a failed permission and a lost allocation are told from different tasks, and may meet.
    private readonly ISubject<string> _notices = Subject.Synchronize(new ReplaySubject<string>(bufferSize: 4));
    private readonly CancellationTokenSource _disposing = new();
    private TurnClient? _client;
    private IPEndPoint? _ownRelayed;
    private IPEndPoint? _peerRelayed;
    private PeerId? _peer;
    private IDisposable? _announcing;
    private string? _failure;
    private TurnCredentials? _latest;
    private int _renewals;

    /// <param name="rendezvous">The signaling client: our id, token and the server's address.</param>
    /// <param name="send">Sends straight out of the socket (TURN and signaling packets are not wrapped).</param>
    /// <param name="scheduler">Times the announcements and the TURN client's refreshes.</param>
    public TurnRelay(RendezvousClient rendezvous, SendDatagram send, IScheduler scheduler)
    {
        _rendezvous = rendezvous;
        _send = send;
        _scheduler = scheduler;
        _signalingServer = rendezvous.Server.Address;
    }

    /// <summary>The TURN client's timing (refreshes, retransmissions); the RFC's when null. Tests shorten it.</summary>
    internal TurnClientOptions? ClientOptions { get; set; }

    /// <summary>
    /// How many renewed credentials the server sent after the first. The allocation keeps the first (RFC 8656 §5: every
    /// request about an allocation carries the user name that made it), and coturn keeps refreshing it with them after
    /// they expired: its check of the expiry in <c>expiry:name</c> is at Allocate.
    /// </summary>
    internal int Renewals
    {
        get
        {
            lock (_gate)
                return _renewals;
        }
    }

    /// <summary>The newest credentials the server sent, the first or a renewal; null before the first.</summary>
    internal TurnCredentials? LatestCredentials
    {
        get
        {
            lock (_gate)
                return _latest;
        }
    }

    /// <summary>The TURN client once the server offered credentials.</summary>
    public TurnClient? Client => Volatile.Read(ref _client);

    /// <summary>The TURN server, once offered.</summary>
    public IPEndPoint? Server => Client?.Server;

    /// <summary>The peer's relayed address once the relay is usable: the session's relay candidate.</summary>
    public IPEndPoint? PeerRelayed
    {
        get
        {
            lock (_gate)
                return _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
        }
    }

    /// <summary>
    /// Completes with the peer's relayed address once both allocations exist and ours permits the peer's; with null when
    /// the relay cannot be used (then <see cref="Failure"/> says why). Never faults.
    /// </summary>
    public Task<IPEndPoint?> Ready => _ready.Task;

    /// <summary>Completes when the server offered TURN credentials.</summary>
    public Task Offered => _offered.Task;

    /// <summary>Why the TURN relay is not used, one sentence; null while it is (or may still be).</summary>
    public string? Failure
    {
        get
        {
            lock (_gate)
                return _failure;
        }
    }

    /// <summary>Things the user should know: the TURN relay failed or was lost (the last few replayed to a late subscriber).</summary>
    public IObservable<string> Notices => _notices.AsObservable();

    /// <summary>The peer we were matched with: only its relayed address is taken.</summary>
    public void Matched(PeerId peer)
    {
        IPEndPoint? waiting;
        lock (_gate)
        {
            _peer = peer;
            waiting = _peerRelayed;
        }
        if (waiting is not null)
            _ = PermitAsync();
    }

    /// <summary>
    /// The server's credentials: the first ones start the allocation; later ones (renewals) are kept, but the allocation
    /// goes on with the user name that made it (a Refresh cannot change it, RFC 8656 §5).
    /// </summary>
    public void Offer(TurnCredentialsPacket offer)
    {
        TurnClient client;
        lock (_gate)
        {
            if (_client is not null && _latest is not null && offer.Server.Equals(_client.Server) && offer.Username != _latest.Username)
            {
                _latest = new TurnCredentials(offer.Username, offer.Password, offer.Expires);
                _renewals++;
                return;
            }
            if (_client is not null || _ready.Task.IsCompleted)
                return;
            if (!Acceptable(offer.Server))
            {
                FailLocked($"the signaling server offered a TURN server at {offer.Server}, which is not an address to relay through");
                return;
            }
            _latest = new TurnCredentials(offer.Username, offer.Password, offer.Expires);
            client = new TurnClient(offer.Server, _latest, _send, _scheduler, ClientOptions);
            Volatile.Write(ref _client, client);
        }
        _offered.TrySetResult();
        _ = AllocateAsync(client);
    }

    /// <summary>The other member's relayed address, as the server forwarded it.</summary>
    public void PeerAddress(TurnAddressPacket packet)
    {
        lock (_gate)
        {
            if (_peer is { } peer && packet.Peer != peer)
                return; // only the peer we met
            if (_peerRelayed is not null)
                return; // the first one counts: a session's relay does not move under it
            if (!Acceptable(packet.RelayedAddress))
                return;
            _peerRelayed = packet.RelayedAddress;
        }
        _ = PermitAsync();
    }

    /// <summary>Gives up on TURN for this session (no offer came in time), saying why.</summary>
    public void GiveUp(string reason)
    {
        lock (_gate)
            FailLocked(reason);
    }

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _announcing?.Dispose();
            FailLocked("the session ended");
        }
        if (Volatile.Read(ref _client) is { } client)
            await client.DisposeAsync().ConfigureAwait(false);
        _notices.OnCompleted();
        _disposing.Dispose();
    }

    private async Task AllocateAsync(TurnClient client)
    {
        try
        {
            var relayed = await client.AllocateAsync(_disposing.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _ownRelayed = relayed;
                _announcing = Announce(relayed);
            }
            _ = WatchAsync(client);
            await PermitAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is TurnException or OperationCanceledException or ObjectDisposedException or InvalidOperationException || TransportErrors.IsLostDatagram(e))
        {
            Fail($"{Message(e)}; relaying through the signaling server instead");
        }
    }

    /// <summary>Our relayed address to the server now, then every second until the peer's came (a few times at most).</summary>
    private IDisposable Announce(IPEndPoint relayed)
    {
        var sent = 0;
        var afterPeer = 0;
        // The first one now (the recursive schedule's first run is due at once), then every second.
        return _scheduler.Schedule(TimeSpan.Zero, self =>
        {
            bool peerKnown;
            lock (_gate)
                peerKnown = _peerRelayed is not null;
            // A few more once the peer's arrived: ours may have been the one lost on the way.
            if (sent++ >= MaxAnnouncements || (peerKnown && afterPeer++ >= 2))
                return;
            _send.SendIgnoringLoss(SignalingCodec.Encode(new TurnAddressPacket(_rendezvous.PeerId, _rendezvous.Token, relayed)), _rendezvous.Server); // lost: sent again a second later
            self(AnnounceInterval);
        });
    }

    private async Task PermitAsync()
    {
        TurnClient? client;
        IPEndPoint? peer;
        lock (_gate)
        {
            client = _client;
            peer = _peerRelayed;
            if (client is null || peer is null || _ownRelayed is null || _peer is null || _ready.Task.IsCompleted)
                return;
        }
        try
        {
            await client.PermitAsync(peer, _disposing.Token).ConfigureAwait(false);
            lock (_gate)
                _ready.TrySetResult(peer);
        }
        catch (Exception e) when (e is TurnException or OperationCanceledException or ObjectDisposedException or InvalidOperationException || TransportErrors.IsLostDatagram(e))
        {
            Fail($"{Message(e)}; relaying through the signaling server instead");
        }
    }

    /// <summary>When the TURN server stops keeping our allocation (a refused refresh: the credentials expired), say so.</summary>
    private async Task WatchAsync(TurnClient client)
    {
        if (await client.Lost.ConfigureAwait(false) is { } lost)
            _notices.OnNext($"The TURN relay at {client.Server} stopped: {lost.Message}");
    }

    private string Message(Exception e) => e switch
    {
        TurnException turn => turn.Message.TrimEnd('.'),
        OperationCanceledException or ObjectDisposedException => "the session ended before the TURN allocation",
        _ => $"the TURN server at {Server} could not be used: {e.Message.TrimEnd('.')}",
    };

    private void Fail(string reason)
    {
        bool first;
        lock (_gate)
            first = FailLocked(reason);
        if (first && !_disposing.IsCancellationRequested)
            _notices.OnNext(char.ToUpperInvariant(reason[0]) + reason[1..] + ".");
    }

    private bool FailLocked(string reason)
    {
        if (!_ready.TrySetResult(null))
            return false;
        _failure = reason;
        _offered.TrySetResult();
        return true;
    }

    /// <summary>A unicast address of the signaling server's family; loopback only when the signaling server is on loopback too.</summary>
    private bool Acceptable(IPEndPoint address) =>
        address.Port != 0
        && address.AddressFamily == _signalingServer.AddressFamily
        && !address.Address.Equals(IPAddress.Any) && !address.Address.Equals(IPAddress.IPv6Any)
        && !address.Address.Equals(IPAddress.Broadcast)
        && !(address.AddressFamily == AddressFamily.InterNetworkV6 ? address.Address.IsIPv6Multicast : (address.Address.GetAddressBytes()[0] & 0xF0) == 0xE0)
        && (!IPAddress.IsLoopback(address.Address) || IPAddress.IsLoopback(_signalingServer));
}
