using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Signaling;
using SecretChat.Transport.Udp;

namespace SecretChat.App.Composition;

/// <summary>
/// One attempt to reach a peer directly through both NATs: register at the signaling server, learn the
/// peer's candidates, punch toward all of them from one UDP socket, and keep the first candidate whose
/// handshake completes.
/// </summary>
/// <remarks>
/// Everything (signaling, punches, the handshake and the session) shares one socket, so the NAT mapping
/// the server observed is the one the peer punches toward. Only an authenticated handshake selects a
/// path: punch probes carry no authority, and datagrams from addresses that are not the peer's
/// candidates never reach a handshake.
/// </remarks>
public sealed class PunchAttempt : IAsyncDisposable
{
    /// <summary>Punch probes: a type outside the session (0x01–0x0F) and signaling (0x40–0x4F) ranges, dropped on receipt.</summary>
    internal static readonly byte[] Probe = [0x50, (byte)'S', (byte)'C', (byte)'P', (byte)'1'];

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);
    private const int ProbeCount = 20;

    /// <summary>What a default server keeps per peer (<c>SignalingServerOptions.MaxCandidatesPerPeer</c>).</summary>
    private const int MaxHostCandidates = 8;

    private readonly UdpDatagramSocket _socket;
    private readonly RendezvousClient _rendezvous;
    private readonly IScheduler _scheduler;
    private readonly IDisposable _wiring;
    private readonly Lock _gate = new();
    private readonly List<SecureDatagramChannel> _candidates = [];
    private HashSet<IPEndPoint> _peerAddresses = [];
    private SecureDatagramChannel? _responder;
    private SecureDatagramChannel? _winner;

    private PunchAttempt(UdpDatagramSocket socket, IPEndPoint server, IScheduler scheduler)
    {
        _socket = socket;
        _scheduler = scheduler;
        _rendezvous = new RendezvousClient((datagram, to, ct) => socket.SendAsync(datagram, to, ct), server, scheduler);
        _wiring = socket.Datagrams.Subscribe(d => Route(d.RemoteEndPoint, d.Payload.Span));
    }

    /// <summary>The peer's candidates as the server gave them (host ones first), once matched.</summary>
    public IReadOnlyList<IPEndPoint> PeerCandidates { get; private set; } = [];

    /// <summary>Our role, as the server assigned it, once matched.</summary>
    public HandshakeRole Role { get; private set; }

    /// <summary>Binds one UDP socket for everything the attempt does.</summary>
    public static PunchAttempt Start(IPEndPoint server, IScheduler scheduler)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        return new PunchAttempt(socket, server, scheduler);
    }

    /// <summary>Registers in <paramref name="room"/> and waits until the server introduces the peer.</summary>
    public async Task<PeerMatch> MeetAsync(string room, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var hosts = HostCandidates(_socket.LocalEndPoint.Port, _rendezvous.Server.Address);
        progress?.Report($"registering in room '{room}' at {_rendezvous.Server}");
        var waiting = new Progress<IPEndPoint>(reflexive => progress?.Report($"registered as {reflexive}; waiting for the peer to join room '{room}'"));
        var match = await _rendezvous.RegisterAsync(room, hosts, waiting, cancellationToken).ConfigureAwait(false);
        Role = match.Role == PeerRole.Initiator ? HandshakeRole.Initiator : HandshakeRole.Responder;
        // Host candidates first: peers on one LAN connect directly instead of through their NAT.
        PeerCandidates = [.. match.PeerHostCandidates, .. match.PeerCandidates.Where(c => !match.PeerHostCandidates.Contains(c))];
        lock (_gate)
            _peerAddresses = [.. PeerCandidates];
        return match;
    }

    /// <summary>
    /// Punches toward every peer candidate and runs the handshake over each until one completes; returns
    /// that candidate's channel (the others are closed). Fails with <see cref="HandshakeException"/> when
    /// none completes within <paramref name="timeout"/>, saying why.
    /// </summary>
    public async Task<SecureDatagramChannel> PunchAsync(ISecurityModule security, PeerMatch match, TimeSpan timeout, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        await Observable.Timer(match.PunchDelay, _scheduler).ToTask(cancellationToken).ConfigureAwait(false);
        progress?.Report($"punching toward {string.Join(", ", PeerCandidates)} as {(Role == HandshakeRole.Initiator ? "initiator" : "responder")}");
        using var probes = SendProbes();

        var options = DatagramChannelOptions.Default with { HandshakeTimeout = timeout };
        List<SecureDatagramChannel> attempts;
        lock (_gate)
        {
            if (Role == HandshakeRole.Initiator)
            {
                foreach (var candidate in PeerCandidates)
                    _candidates.Add(SecureDatagramChannel.Connect(security, candidate, Send, options, _scheduler));
            }
            else
            {
                _responder = SecureDatagramChannel.Accept(security, Send, options, _scheduler);
                _candidates.Add(_responder);
            }
            attempts = [.. _candidates];
        }

        var winner = await FirstEstablishedAsync(attempts, timeout, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _winner = winner;
            foreach (var loser in _candidates.Where(c => c != winner))
                loser.Dispose();
            _candidates.Clear();
        }
        _ = LeaveQuietlyAsync();
        return winner;
    }

    /// <summary>The socket and the rest, for the session that outlives the attempt.</summary>
    public async ValueTask DisposeAsync()
    {
        _wiring.Dispose();
        _rendezvous.Dispose();
        lock (_gate)
        {
            foreach (var candidate in _candidates)
                candidate.Dispose();
            _candidates.Clear();
        }
        await _socket.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<SecureDatagramChannel> FirstEstablishedAsync(List<SecureDatagramChannel> attempts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = attempts.ToDictionary(a => (Task)a.Established, a => a);
        var deadline = Observable.Timer(timeout, _scheduler).ToTask(cancellationToken);
        HandshakeException? refusal = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Keys.Append(deadline)).ConfigureAwait(false);
            if (done == deadline)
                break;
            var channel = pending[done];
            pending.Remove(done);
            if (channel.Established.IsCompletedSuccessfully)
                return channel;
            // A refusal (other mode, other version) is the peer's real answer: report it rather than a timeout.
            if (channel.Established.Exception?.InnerException is HandshakeException e && !e.Message.Contains("did not answer", StringComparison.Ordinal))
                refusal ??= e;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (refusal is not null)
            throw refusal;
        throw new HandshakeException(
            $"Hole punching failed: no direct path to the peer completed a handshake within {timeout.TotalSeconds:0.#} s " +
            $"(tried {string.Join(", ", PeerCandidates)}). The NATs on the way probably change the public port for every " +
            "destination (symmetric NAT) or filter UDP; a direct connection is not possible between these two networks.");
    }

    /// <summary>Sends a probe to every candidate now and every 100 ms for 2 s: outbound packets open our NAT toward the peer.</summary>
    private IDisposable SendProbes()
    {
        SendProbeRound();
        var rounds = 1;
        return _scheduler.SchedulePeriodic(ProbeInterval, () =>
        {
            if (rounds++ < ProbeCount && Volatile.Read(ref _winner) is null)
                SendProbeRound();
        });
    }

    private void SendProbeRound()
    {
        foreach (var candidate in PeerCandidates)
            _ = Send(Probe, candidate);
    }

    /// <summary>One socket, many protocols: signaling, punch probes, then session packets by peer address.</summary>
    private void Route(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (_rendezvous.TryHandle(datagram, from) || datagram.IsEmpty || datagram[0] == Probe[0])
            return;
        if (!PacketCodec.TryDecode(datagram, out _, out _, out _))
            return;

        SecureDatagramChannel? target;
        lock (_gate)
        {
            if (_winner is not null)
                target = _winner;
            else if (!_peerAddresses.Contains(from))
                return; // Not one of the peer's candidates: it never reaches a handshake.
            else
                target = _responder ?? _candidates.FirstOrDefault(c => from.Equals(c.RemoteEndPoint));
        }
        target?.Receive(from, datagram);
    }

    private ValueTask Send(ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        try
        {
            return _socket.SendAsync(datagram, to);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return ValueTask.CompletedTask; // A lost probe or packet: retransmission covers it.
        }
    }

    private async Task LeaveQuietlyAsync()
    {
        try
        {
            await _rendezvous.LeaveAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The room expires on its own.
        }
    }

    /// <summary>This machine's addresses with the socket's port; loopback too when the server is on loopback.</summary>
    private static List<IPEndPoint> HostCandidates(int port, IPAddress server)
    {
        var addresses = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up)
                    continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = unicast.Address;
                    if (address.AddressFamily == server.AddressFamily && !IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal)
                        addresses.Add(address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list: the reflexive candidate still works across NATs.
        }
        if (IPAddress.IsLoopback(server))
            addresses.Insert(0, server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        return [.. addresses.Distinct().Take(MaxHostCandidates).Select(a => new IPEndPoint(a, port))];
    }
}
