using System.Buffers.Binary;
using System.Net;
using System.Reactive.Concurrency;
using System.Text;
using System.Threading.Channels;
using SecretChat.Framing.Packets;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.Security.Datagrams;

/// <summary>A peer whose handshake with a <see cref="UdpSecureListener"/> failed (the listener goes on).</summary>
public sealed record UdpHandshakeFailure(IPEndPoint? Peer, HandshakeException Error);

/// <summary>What a <see cref="UdpSecureListener"/> has answered and kept so far.</summary>
/// <param name="CookiesSent">Cookie packets sent to sources that had not proved their address.</param>
/// <param name="RejectsSent">Rejects sent to sources that had not proved their address (wrong module or version).</param>
/// <param name="RejectsSuppressed">Rejects (and, toward unproven sources, their failure reports) left out by the rate limit.</param>
/// <param name="HandshakesStarted">Handshakes begun with proven sources (each one's state, and in rsa mode its key), once their first hello was handled.</param>
/// <param name="Busy">Proven hellos refused because <see cref="UdpSecureListener.MaxPendingHandshakes"/> were pending.</param>
/// <param name="Dropped">Datagrams from strangers that got no answer and changed nothing.</param>
/// <param name="Pending">Handshakes under way, or completed and not yet accepted, now.</param>
public sealed record UdpListenerStatistics(long CookiesSent, long RejectsSent, long RejectsSuppressed, long HandshakesStarted, long Busy, long Dropped, int Pending);

/// <summary>
/// One bound UDP socket that serves many peers at once. A source must first prove it receives at its address: its
/// hello gets a stateless cookie (<see cref="SourceCookies"/>) and nothing else, and only a hello that brings the cookie
/// back makes the listener keep state, start a handshake or spend a key. Up to <see cref="MaxPendingHandshakes"/>
/// handshakes run side by side, each its own <see cref="SecureDatagramChannel"/> fed by the socket (by source address,
/// and by session id for an established peer that moved), and <see cref="AcceptAsync"/> hands out the first to
/// complete, wrapped in a <see cref="ReliableDatagramChannel"/>; established sessions keep receiving while the
/// listener keeps accepting.
/// </summary>
/// <remarks>
/// Toward a source that has not proved itself, every answer is at most as large as the datagram it answers (a cookie
/// is 21 bytes, an initiator's hello at least 22; a reject is cut to the request's size), and rejects are rate limited,
/// so the listener cannot be used to amplify traffic toward a forged address.
/// </remarks>
public sealed class UdpSecureListener : IAsyncDisposable
{
    /// <summary>The most handshakes under way (or completed and not yet accepted) at once.</summary>
    public const int MaxPendingHandshakes = 64;

    /// <summary>Rejects toward unproven sources, and failure reports about them, per second at most (and the burst).</summary>
    internal const double RejectsPerSecond = 5;

    /// <summary>Datagrams kept from a source while its handshake starts.</summary>
    private const int MaxBacklog = 8;

    private const string BusyReason = "The listener is busy with other handshakes; try again in a few seconds.";

    private readonly UdpDatagramSocket _socket;
    private readonly ISecurityModule _security;
    private readonly DatagramChannelOptions _options;
    private readonly ReliabilityOptions _reliability;
    private readonly IScheduler _scheduler;
    private readonly ProtocolHello _localHello;
    private readonly IDisposable _wiring;
    private readonly Lock _gate = new();
    // Failures are reported from the socket's thread (refusals) and from handshake tasks (failed handshakes): one at a
    // time, so that the callback, like an Rx observer, is never entered twice at once. Never taken inside _gate.
    private readonly Lock _reporting = new();
    private readonly SourceCookies _cookies;
    private readonly RejectAllowance _rejects;
    private readonly Dictionary<IPEndPoint, Peer> _bySource = [];
    private readonly Dictionary<uint, Peer> _bySession = [];
    private readonly Channel<Peer> _completed = Channel.CreateUnbounded<Peer>();
    private Action<UdpHandshakeFailure>? _failed;
    private int _pending;
    private bool _disposed;
    private long _cookiesSent;
    private long _rejectsSent;
    private long _rejectsSuppressed;
    private long _handshakesStarted;
    private long _busy;
    private long _dropped;

    private UdpSecureListener(
        UdpDatagramSocket socket, ISecurityModule security, DatagramChannelOptions options, ReliabilityOptions reliability, IScheduler scheduler,
        Action<UdpHandshakeFailure>? failed)
    {
        _socket = socket;
        _failed = failed;
        _security = security;
        _options = options;
        _reliability = reliability;
        _scheduler = scheduler;
        _localHello = ProtocolHello.Local(security, HandshakeRole.Responder);
        _cookies = new SourceCookies(SourceCookies.DefaultRotation, scheduler.Now);
        _rejects = new RejectAllowance(RejectsPerSecond, RejectsPerSecond, scheduler.Now);
        _wiring = socket.Datagrams.Subscribe(d => OnDatagram(d.RemoteEndPoint, d.Payload.Span));
    }

    /// <summary>Binds <paramref name="localEndPoint"/> (port 0 picks a free one); throws the socket's error when it cannot.</summary>
    /// <param name="localEndPoint">Where to bind.</param>
    /// <param name="security">The module every handshake runs.</param>
    /// <param name="options">The channels' options (the defaults when null).</param>
    /// <param name="reliability">The accepted sessions' reliability (the defaults when null).</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    /// <param name="failed">
    /// Told of each failed handshake from the moment the socket is bound (it answers sources at once, whether or not
    /// anyone waits in <see cref="AcceptAsync"/>); each <see cref="AcceptAsync"/> call's own replaces it. Called one
    /// failure at a time (never twice at once), on the socket's thread or the thread pool: it should return quickly.
    /// </param>
    public static UdpSecureListener Bind(
        IPEndPoint localEndPoint,
        ISecurityModule security,
        DatagramChannelOptions? options = null,
        ReliabilityOptions? reliability = null,
        IScheduler? scheduler = null,
        Action<UdpHandshakeFailure>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(security);
        options ??= DatagramChannelOptions.Default;
        options.Validate();
        return new UdpSecureListener(UdpDatagramSocket.Bind(localEndPoint), security, options,
            reliability ?? new ReliabilityOptions(), scheduler ?? DefaultScheduler.Instance, failed);
    }

    /// <summary>
    /// The local address the listener's socket is bound to (with the port chosen, when 0 was asked for).
    /// </summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>A snapshot of what the listener has answered and kept.</summary>
    public UdpListenerStatistics Statistics
    {
        get
        {
            lock (_gate)
                return new UdpListenerStatistics(_cookiesSent, _rejectsSent, _rejectsSuppressed, _handshakesStarted, _busy, _dropped, _pending);
        }
    }

    /// <summary>
    /// Waits for the first peer whose handshake completes (handshakes run in the background whether or not anyone
    /// waits), then wraps it in the reliable session. The session (and its dead-peer timer) starts only then; the
    /// payloads that arrive before are kept by the datagram channel. Peers whose handshake fails are told to
    /// <paramref name="failed"/> (the latest call's, or <see cref="Bind"/>'s before any call; at most <c>5</c> a second for sources that have not proved their
    /// address; one at a time, never twice at once), and the wait goes on. Disposing the returned channel frees its place in the listener.
    /// </summary>
    public async Task<ReliableDatagramChannel> AcceptAsync(Action<UdpHandshakeFailure>? failed = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _failed = failed;
        }
        while (true)
        {
            Peer peer;
            try
            {
                peer = await _completed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(UdpSecureListener));
            }
            lock (_gate)
            {
                if (!peer.Completed || peer.Removed || _disposed)
                    continue; // its session ended before anyone accepted it: it was removed already
                peer.Accepted = true;
                _pending--;
            }
            return new ReliableDatagramChannel(peer.Channel, _reliability, _scheduler, owned: new Release(this, peer));
        }
    }

    /// <summary>Stops accepting peers, ends the handshakes under way and the sessions nobody accepted, and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Peer> unaccepted;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            unaccepted = [.. _bySource.Values.Concat(_bySession.Values).Distinct().Where(p => !p.Accepted)];
            _bySource.Clear();
            _bySession.Clear();
        }
        _wiring.Dispose();
        _completed.Writer.TryComplete();
        foreach (var peer in unaccepted)
            peer.Channel.Dispose();
        await _socket.DisposeAsync().ConfigureAwait(false);
    }

    private void OnDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!PacketCodec.TryDecode(datagram, out var header, out var body, out _))
        {
            // Garbage from a peer we know still counts in its channel's statistics; from anyone else, nothing.
            var known = Find(from, null);
            if (known is not null)
                Deliver(known, from, datagram);
            else
                Count(ref _dropped);
            return;
        }
        var peer = Find(from, header.Type == PacketType.Data ? header.SessionId : null);
        if (header.Type == PacketType.InitiatorHello)
        {
            OnInitiatorHello(from, header, body, datagram, peer);
            return;
        }
        if (peer is not null)
        {
            Deliver(peer, from, datagram);
            return;
        }
        if (header.Type == PacketType.Handshake && header.MessageIndex == 0)
        {
            // A hello in the responder's packet (another build, version 1, or a responder): refused if it does not
            // negotiate, otherwise ignored: this build's initiators send their hello with a cookie field.
            if (ProtocolHello.TryParse(body, out var hello) && RefusalFor(hello) is { } reason)
                RejectStranger(from, header.SessionId, reason, datagram.Length);
            else
                Count(ref _dropped);
            return;
        }
        Count(ref _dropped);
    }

    private void OnInitiatorHello(IPEndPoint from, PacketHeader header, ReadOnlySpan<byte> body, ReadOnlySpan<byte> datagram, Peer? peer)
    {
        var cookie = AddressCookie.Read(body);
        var helloBytes = body[PacketCodec.CookieSize..];
        bool proven;
        lock (_gate)
            proven = _cookies.IsValid(cookie, from, _scheduler.Now);
        if (peer is not null)
        {
            // Its own hello again (a retransmission): its channel answers as the handshake needs.
            if (header.SessionId == peer.SessionId)
            {
                Deliver(peer, from, datagram);
                return;
            }
            // A new session id from a proven source: beside an established session its channel decides; a pending
            // handshake is dropped and the new hello starts over. From an unproven one (perhaps forged), a cookie at most.
            if (proven && (peer.Completed || !Replace(peer)))
            {
                Deliver(peer, from, datagram);
                return;
            }
        }
        if (!ProtocolHello.TryParse(helloBytes, out var hello))
        {
            Count(ref _dropped);
            return;
        }
        if (RefusalFor(hello) is { } reason)
        {
            // Refused before any state, whether the cookie is good or not: the peer learns why at once.
            RejectStranger(from, header.SessionId, reason, datagram.Length);
            return;
        }
        if (!proven)
        {
            SendCookie(from, header.SessionId);
            return;
        }
        Start(from, datagram);
    }

    /// <summary>
    /// A proven source's first hello: a new handshake beside the others, if there is room. It starts on the thread
    /// pool, since starting may be slow (rsa generates a key when its pool is empty) and must not hold up the socket;
    /// what the source sends meanwhile waits in a short backlog.
    /// </summary>
    private void Start(IPEndPoint from, ReadOnlySpan<byte> hello)
    {
        Peer peer;
        lock (_gate)
        {
            if (_disposed)
                return;
            if (_pending >= MaxPendingHandshakes)
            {
                // The source is proven, so the sentence need not fit its hello; still rate limited, as every reject.
                _busy++;
                if (_rejects.TryTake(_scheduler.Now))
                    Send(Reject(BinaryPrimitives.ReadUInt32BigEndian(hello[1..]), BusyReason, PacketCodec.MaxDatagramSize), from);
                else
                    _rejectsSuppressed++;
                return;
            }
            peer = new Peer(SecureDatagramChannel.Accept(_security, _socket.SendAsync, _options, _scheduler), from,
                BinaryPrimitives.ReadUInt32BigEndian(hello[1..]));
            peer.Backlog.Enqueue(hello.ToArray());
            _bySource[from] = peer;
            _pending++;
        }
        _ = Task.Run(() => StartAsync(peer));
    }

    private async Task StartAsync(Peer peer)
    {
        // Fed before it counts as started, so that whoever sees it started sees its handshake (and timeout) running.
        while (true)
        {
            byte[] datagram;
            lock (_gate)
            {
                if (!peer.Backlog.TryDequeue(out datagram!))
                {
                    peer.Starting = false;
                    _handshakesStarted++;
                    break;
                }
            }
            peer.Channel.Receive(peer.Source, datagram);
        }
        await WatchAsync(peer).ConfigureAwait(false);
    }

    /// <summary>Hands a datagram to its peer's channel, or to its backlog while the channel starts (a few; the rest are lost).</summary>
    private void Deliver(Peer peer, IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            if (peer.Starting)
            {
                if (peer.Backlog.Count < MaxBacklog && from.Equals(peer.Source))
                    peer.Backlog.Enqueue(datagram.ToArray());
                else
                    _dropped++;
                return;
            }
        }
        peer.Channel.Receive(from, datagram);
    }

    /// <summary>Drops a pending handshake whose source began a new one (its cookie proves it is that source). False when it completed meanwhile.</summary>
    private bool Replace(Peer peer)
    {
        lock (_gate)
        {
            if (peer.Completed || !_bySource.Remove(peer.Source, out var current))
                return false;
            if (!ReferenceEquals(current, peer))
            {
                _bySource[peer.Source] = current;
                return false;
            }
            peer.Removed = true;
            _pending--;
        }
        peer.Channel.Dispose();
        return true;
    }

    private async Task WatchAsync(Peer peer)
    {
        try
        {
            await peer.Channel.Established.ConfigureAwait(false);
        }
        catch (HandshakeException e)
        {
            Remove(peer);
            Report(peer, e);
            peer.Channel.Dispose();
            return;
        }
        catch (OperationCanceledException)
        {
            Remove(peer); // disposed: replaced, or the listener is closing
            return;
        }
        lock (_gate)
        {
            if (peer.Removed || _disposed)
                return;
            peer.Completed = true;
            _bySession.TryAdd(peer.Channel.LocalSessionId, peer);
        }
        _completed.Writer.TryWrite(peer);
    }

    private void Remove(Peer peer)
    {
        lock (_gate)
        {
            if (peer.Removed)
                return;
            peer.Removed = true;
            if (_bySource.TryGetValue(peer.Source, out var bySource) && ReferenceEquals(bySource, peer))
                _bySource.Remove(peer.Source);
            if (_bySession.TryGetValue(peer.Channel.LocalSessionId, out var bySession) && ReferenceEquals(bySession, peer))
                _bySession.Remove(peer.Channel.LocalSessionId);
            if (!peer.Accepted)
                _pending--;
        }
    }

    private void Report(Peer peer, HandshakeException error)
    {
        Action<UdpHandshakeFailure>? failed;
        lock (_gate)
        {
            if (_disposed)
                return;
            failed = _failed;
        }
        if (failed is not null)
            Tell(failed, new UdpHandshakeFailure(peer.Channel.RemoteEndPoint ?? peer.Source, error));
    }

    private void Tell(Action<UdpHandshakeFailure> failed, UdpHandshakeFailure failure)
    {
        lock (_reporting)
            failed(failure);
    }

    /// <summary>The peer a datagram from <paramref name="from"/> belongs to: by source, else (data) by session id.</summary>
    private Peer? Find(IPEndPoint from, uint? sessionId)
    {
        lock (_gate)
        {
            if (_bySource.TryGetValue(from, out var peer))
                return peer;
            return sessionId is { } id && _bySession.TryGetValue(id, out peer) ? peer : null;
        }
    }

    private string? RefusalFor(ProtocolHello hello)
    {
        try
        {
            // In the peer's own words (the same check from its side), as the channel's reject says it.
            hello.Negotiate(_localHello);
            _localHello.Negotiate(hello);
            return null;
        }
        catch (HandshakeException e)
        {
            return e.Message;
        }
    }

    private void SendCookie(IPEndPoint to, uint sessionId)
    {
        var packet = new byte[PacketCodec.CookiePacketSize];
        lock (_gate)
        {
            if (_disposed)
                return;
            PacketCodec.WriteHeader(PacketHeader.Cookie(sessionId), packet);
            _cookies.For(to, _scheduler.Now).Write(packet.AsSpan(PacketCodec.CookieHeaderSize));
            _cookiesSent++;
        }
        Send(packet, to);
    }

    /// <summary>A reject toward a source that has not proved itself: rate limited, and no larger than what it answers.</summary>
    private void RejectStranger(IPEndPoint to, uint sessionId, string reason, int requestSize)
    {
        Action<UdpHandshakeFailure>? failed;
        lock (_gate)
        {
            if (_disposed)
                return;
            if (!_rejects.TryTake(_scheduler.Now))
            {
                _rejectsSuppressed++;
                return;
            }
            _rejectsSent++;
            failed = _failed;
        }
        Send(Reject(sessionId, reason, requestSize), to);
        if (failed is not null)
            Tell(failed, new UdpHandshakeFailure(to, new HandshakeException(reason)));
    }

    private static byte[] Reject(uint sessionId, string reason, int sizeLimit)
    {
        var room = Math.Min(PacketCodec.MaxRejectReasonSize, sizeLimit - PacketCodec.RejectHeaderSize);
        var bytes = Encoding.UTF8.GetBytes(reason);
        var length = Math.Clamp(bytes.Length, 0, Math.Max(room, 0));
        var packet = new byte[PacketCodec.RejectHeaderSize + length];
        PacketCodec.Encode(PacketHeader.Reject(sessionId), bytes.AsSpan(0, length), packet);
        return packet;
    }

    private void Send(byte[] packet, IPEndPoint to)
    {
        ValueTask sending;
        try
        {
            sending = _socket.SendAsync(packet, to, CancellationToken.None);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e) || e is ObjectDisposedException)
        {
            return;
        }
        if (!sending.IsCompletedSuccessfully)
            _ = ObserveSend(sending);
    }

    private static async Task ObserveSend(ValueTask sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e) || e is ObjectDisposedException)
        {
            // A lost datagram: the initiator retransmits.
        }
    }

    private void Count(ref long counter)
    {
        lock (_gate)
            counter++;
    }

    /// <summary>One proven source's handshake, then its session. Its flags change under the listener's lock.</summary>
    private sealed class Peer(SecureDatagramChannel channel, IPEndPoint source, uint sessionId)
    {
        public SecureDatagramChannel Channel { get; } = channel;
        public IPEndPoint Source { get; } = source;
        public uint SessionId { get; } = sessionId;
        public bool Completed { get; set; }
        public bool Accepted { get; set; }
        public bool Removed { get; set; }
        public bool Starting { get; set; } = true;
        public Queue<byte[]> Backlog { get; } = new();
    }

    /// <summary>What an accepted session's channel disposes last: its place in the listener's tables.</summary>
    private sealed class Release(UdpSecureListener listener, Peer peer) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            listener.Remove(peer);
            return ValueTask.CompletedTask;
        }
    }
}
