using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Framing.Packets;
using SecretChat.Transport;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>Where a p2p socket delivers a session packet: its source (the relay's address for relayed ones), its decoded header, and the whole datagram.</summary>
internal delegate void SessionPacketHandler(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram);

/// <summary>
/// The one UDP socket of a p2p session and its demultiplexer. Signaling, the relay, punch probes and the sealed
/// session share it, so the NAT mapping the server observed is the one the peer punches toward. Each inbound
/// datagram goes one way, by its first byte: signaling to the <see cref="RendezvousClient"/>, session packets
/// (straight from the socket, or unwrapped from the relay) with their header decoded once to the session handler,
/// probes to whoever listens for their sources (the birthday punch). Outbound, the relay is addressed like a peer: datagrams to <see cref="Relay"/> are wrapped in
/// relay packets.
/// </summary>
/// <remarks>
/// Only payloads unwrapped from the server's Relayed packets (which carry our member token) reach the session as coming
/// from <see cref="Relay"/>. The server never sends a bare session packet, so one whose source is the server's address is
/// forged: it is dropped (<see cref="ForgedRelayDropped"/>), or anyone could pass for the relay by forging that address.
/// <para>
/// <see cref="Relay"/> is the relay's name for the session, fixed for the socket's life: the first signaling server. The
/// node the relay packets really go to is the <see cref="RendezvousClient.Server"/> of the moment, which changes when
/// the server redirects us to the room's home node or stops answering and the client rejoins at the next server; the
/// session, its path and its keys never see the move. Bare session packets from any signaling node of ours are forged too.
/// </para>
/// </remarks>
internal sealed class PeerSocket : IAsyncDisposable
{
    private readonly SendDatagram _send;
    private readonly IAsyncDisposable _owned;
    private readonly IDisposable _wiring;
    private SessionPacketHandler? _session;
    private Action<IPEndPoint>? _probes;
    private long _dropped;
    private long _forgedRelay;
    private DirectRoute? _direct;

    /// <param name="inbound">The socket's datagrams (each valid during its <c>OnNext</c>).</param>
    /// <param name="send">Sends one datagram out of the socket.</param>
    /// <param name="localEndPoint">The socket's bound address.</param>
    /// <param name="server">The signaling server, which is also the relay.</param>
    /// <param name="owned">The socket, disposed last.</param>
    /// <param name="scheduler">The clock of the signaling client's timers.</param>
    public PeerSocket(IObservable<Datagram> inbound, SendDatagram send, IPEndPoint localEndPoint, IPEndPoint server, IAsyncDisposable owned, IScheduler scheduler)
        : this(inbound, send, localEndPoint, [server], owned, scheduler)
    {
    }

    /// <param name="inbound">The socket's datagrams (each valid during its <c>OnNext</c>).</param>
    /// <param name="send">Sends one datagram out of the socket.</param>
    /// <param name="localEndPoint">The socket's bound address.</param>
    /// <param name="servers">The signaling servers, in the order to try them (nodes of one deployment); the relay runs on them.</param>
    /// <param name="owned">The socket, disposed last.</param>
    /// <param name="scheduler">The clock of the signaling client's timers.</param>
    /// <param name="rendezvousOptions">The signaling client's timings; the defaults when null.</param>
    public PeerSocket(IObservable<Datagram> inbound, SendDatagram send, IPEndPoint localEndPoint, IReadOnlyList<IPEndPoint> servers, IAsyncDisposable owned, IScheduler scheduler, RendezvousClientOptions? rendezvousOptions = null)
    {
        _send = send;
        _owned = owned;
        LocalEndPoint = localEndPoint;
        Rendezvous = new RendezvousClient(servers, send, scheduler, rendezvousOptions);
        Relay = servers[0];
        Turn = new TurnRelay(Rendezvous, send, scheduler);
        Mappings = new MappingExchange(send, payload => Rendezvous.RelayAsync(payload), scheduler);
        _wiring = inbound.Subscribe(d => Demultiplex(d.RemoteEndPoint, d.Payload.Span));
    }

    /// <summary>Binds a UDP socket on <paramref name="localAddress"/> (any free port).</summary>
    public static PeerSocket Bind(IPAddress localAddress, IPEndPoint server, IScheduler scheduler) => Bind(localAddress, [server], scheduler);

    /// <summary>Binds a UDP socket on <paramref name="localAddress"/> (any free port), for a client of several signaling servers.</summary>
    public static PeerSocket Bind(IPAddress localAddress, IReadOnlyList<IPEndPoint> servers, IScheduler scheduler, RendezvousClientOptions? rendezvousOptions = null)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(localAddress, 0));
        return new PeerSocket(socket.Datagrams, (datagram, to, ct) => socket.SendAsync(datagram, to, ct), socket.LocalEndPoint, servers, socket, scheduler, rendezvousOptions);
    }

    /// <summary>
    /// Whether a socket bound to <paramref name="localAddress"/> can send to <paramref name="to"/>: the same family, or a
    /// dual-stack socket (bound to <c>::</c>), which reaches IPv4 addresses too.
    /// </summary>
    public static bool CanReach(IPAddress localAddress, IPEndPoint to) =>
        localAddress.AddressFamily == to.AddressFamily || localAddress.Equals(IPAddress.IPv6Any);

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The relay's address as the session sees it: the (first) signaling server's, whichever node relays now.</summary>
    public IPEndPoint Relay { get; }

    public RendezvousClient Rendezvous { get; }

    /// <summary>
    /// The TURN relay, when the signaling server offers one: the session reaches the peer through it at the peer's
    /// relayed address (<see cref="TurnRelay.PeerRelayed"/>), addressed like a peer.
    /// </summary>
    public TurnRelay Turn { get; }

    /// <summary>Our NAT's mapping and the peer's (docs/PROTOCOL.md §11.6): its STUN answers and the peer's notices arrive here.</summary>
    public MappingExchange Mappings { get; }

    /// <summary>
    /// From now on datagrams to <paramref name="peer"/> leave through <paramref name="send"/> (a birthday socket whose NAT
    /// mapping the peer reached) instead of this socket.
    /// </summary>
    public void RouteThrough(IPEndPoint peer, SendDatagram send) => Volatile.Write(ref _direct, new DirectRoute(peer, send));

    /// <summary>A datagram another socket of ours (a birthday socket) received: session packets go to the session, the rest nowhere.</summary>
    public void ReceiveThrough(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (PeerDatagrams.Classify(datagram) == PeerDatagramKind.Session)
            DeliverSession(from, datagram);
    }

    /// <summary>Session packets that were malformed and datagrams of no protocol here, dropped on arrival.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Bare session packets whose source was the server's address (forged: the relay wraps what it forwards).</summary>
    public long ForgedRelayDropped => Interlocked.Read(ref _forgedRelay);

    /// <summary>Where session packets go from now on (until then they are dropped).</summary>
    public void DeliverSessionPacketsTo(SessionPacketHandler handler) => Volatile.Write(ref _session, handler);

    /// <summary>Where the sources of punch probes go from now on (they carry nothing else; until then they go nowhere).</summary>
    public void HearProbesWith(Action<IPEndPoint> handler) => Volatile.Write(ref _probes, handler);

    /// <summary>Sends one datagram: wrapped for the relay when addressed to it, straight out of the socket otherwise (a <see cref="SendDatagram"/>).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken = default)
    {
        try
        {
            if (to.Equals(Relay))
                return Rendezvous.RelayAsync(datagram, cancellationToken);
            if (Turn.PeerRelayed is { } turnPeer && to.Equals(turnPeer) && Turn.Client is { } turn)
                return turn.SendAsync(datagram, to, cancellationToken);
            if (Volatile.Read(ref _direct) is { } direct && to.Equals(direct.Peer))
                return direct.Send(datagram, to, cancellationToken);
            return _send(datagram, to, cancellationToken);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            return ValueTask.CompletedTask; // A lost probe or packet: retransmission covers it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _wiring.Dispose();
        Mappings.Dispose();
        await Turn.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Rendezvous.LeaveAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // The room expires on its own.
        }
        Rendezvous.Dispose();
        await _owned.DisposeAsync().ConfigureAwait(false);
    }

    private void Demultiplex(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        // The TURN server's datagrams first, told apart by their source: ChannelData's first byte overlaps signaling's.
        if (Turn.Client is { } turn && turn.TryHandle(datagram, from, out var delivery))
        {
            if (delivery.HasPayload && Turn.PeerRelayed is { } turnPeer && delivery.Peer!.Equals(turnPeer)
                && PeerDatagrams.Classify(delivery.Payload) == PeerDatagramKind.Session)
                DeliverSession(turnPeer, delivery.Payload);
            else if (delivery.HasPayload)
                Interlocked.Increment(ref _dropped); // not the peer's relayed address, or not a session packet
            return;
        }
        // A STUN answer to our mapping detection (from the second server we asked).
        if (StunMessage.IsStun(datagram) && Mappings.TryHandleStun(from, datagram))
            return;

        switch (PeerDatagrams.Classify(datagram))
        {
            case PeerDatagramKind.Session when IsSignalingNode(from) || IsTurnPeer(from):
                // The relays wrap what they forward: a bare session packet from their address is forged.
                Interlocked.Increment(ref _forgedRelay);
                Interlocked.Increment(ref _dropped);
                return;
            case PeerDatagramKind.Signaling when IsSignalingNode(from) && TryTurnSignaling(datagram):
                return;
            case PeerDatagramKind.Session:
                DeliverSession(from, datagram);
                return;
            case PeerDatagramKind.Signaling:
                if (!Rendezvous.TryHandle(datagram, from, out var relayed))
                    Interlocked.Increment(ref _dropped); // signaling from anyone but the server
                else if (relayed is { } payload && !Mappings.TryHandleNotice(payload.Span))
                    DeliverSession(Relay, payload.Span);
                return;
            case PeerDatagramKind.Probe:
                Volatile.Read(ref _probes)?.Invoke(from);
                return;
            default:
                Interlocked.Increment(ref _dropped);
                return;
        }
    }

    /// <summary>Any signaling node of ours: the first, the one the client talks to now, or one it was sent to.</summary>
    private bool IsSignalingNode(IPEndPoint from) =>
        PlainAddress.Same(from, Relay) || PlainAddress.Same(from, Rendezvous.Server) || Rendezvous.IsNode(from);

    private bool IsTurnPeer(IPEndPoint from) => Turn.PeerRelayed is { } turnPeer && PlainAddress.Same(from, turnPeer);

    /// <summary>
    /// The server's TURN credentials and the peer's relayed address, taken here (the signaling client has no use for
    /// them), each only with our member token. True when the datagram was one of the two.
    /// </summary>
    private bool TryTurnSignaling(ReadOnlySpan<byte> datagram)
    {
        if (datagram[0] is not ((byte)SignalingPacketType.TurnCredentials or (byte)SignalingPacketType.TurnAddress))
            return false;
        if (!SignalingCodec.TryDecode(datagram, out var packet))
        {
            Interlocked.Increment(ref _dropped);
            return true;
        }
        switch (packet)
        {
            case TurnCredentialsPacket offer when offer.Peer == Rendezvous.PeerId && Rendezvous.Token.Matches(offer.Token):
                Turn.Offer(offer);
                break;
            case TurnAddressPacket address when Rendezvous.Token.Matches(address.Token):
                Turn.PeerAddress(address);
                break;
            default:
                Interlocked.Increment(ref _dropped); // forged from the server's address, or not for us
                break;
        }
        return true;
    }

    private void DeliverSession(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!PacketCodec.TryDecode(datagram, out var header, out _, out _))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        Volatile.Read(ref _session)?.Invoke(from, header, datagram);
    }

    private sealed record DirectRoute(IPEndPoint Peer, SendDatagram Send);
}
