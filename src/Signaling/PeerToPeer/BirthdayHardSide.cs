using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Transport;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>
/// The hard side of a birthday punch (behind a NAT that maps per destination): opens
/// <see cref="PeerToPeerOptions.BirthdaySockets"/> extra sockets and punches from each toward the easy peer's reflexive
/// address, <see cref="PeerToPeerOptions.BirthdayPunchRounds"/> times <see cref="PeerToPeerOptions.BirthdayPunchInterval"/>
/// apart. Each punch gives our NAT one more public port that lets the peer in; the peer probes random ports of our public
/// address, and the first of its datagrams to land on one of them is a hit.
/// </summary>
/// <remarks>
/// Sends only to the peer's reflexive address, and hears only from it (anything else reaching the sockets is dropped,
/// counted in <see cref="Strangers"/>). A hit carries no authority: it only says which socket to try the authenticated
/// path probe from. All sockets close after <see cref="PeerToPeerOptions.BirthdayWindow"/>, or once one is kept
/// (<see cref="Keep"/>), when the others close.
/// </remarks>
internal sealed class BirthdayHardSide : IDisposable
{
    private readonly IPEndPoint _peer;
    private readonly OpenBirthdaySocket _open;
    private readonly IScheduler _scheduler;
    private readonly PeerToPeerOptions _options;
    private readonly Action<BirthdaySocket> _hit;
    private readonly Action<BirthdaySocket, IPEndPoint, ReadOnlyMemory<byte>> _heard;
    private readonly Lock _gate = new();
    private readonly List<Entry> _sockets = [];
    private readonly SerialDisposable _punching = new();
    private readonly SerialDisposable _window = new();
    private long _sent;
    private long _strangers;
    private BirthdaySocket? _kept;
    private bool _closed;

    /// <param name="peer">The easy peer's reflexive address: the only destination.</param>
    /// <param name="open">Opens one socket.</param>
    /// <param name="scheduler">The clock of the punch rounds and the window.</param>
    /// <param name="options">The bounds.</param>
    /// <param name="hit">A socket heard from the peer for the first time.</param>
    /// <param name="heard">Every datagram from the peer at a socket (the hit's first one included), valid during the call.</param>
    public BirthdayHardSide(
        IPEndPoint peer, OpenBirthdaySocket open, IScheduler scheduler, PeerToPeerOptions options,
        Action<BirthdaySocket> hit, Action<BirthdaySocket, IPEndPoint, ReadOnlyMemory<byte>> heard)
    {
        _peer = peer;
        _open = open;
        _scheduler = scheduler;
        _options = options;
        _hit = hit;
        _heard = heard;
    }

    /// <summary>Punch probes sent, from all sockets together.</summary>
    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <summary>Datagrams from anyone but the peer, dropped.</summary>
    public long Strangers => Interlocked.Read(ref _strangers);

    /// <summary>Sockets open now.</summary>
    public int OpenSockets
    {
        get
        {
            lock (_gate)
                return _sockets.Count;
        }
    }

    /// <summary>Sockets that opened (fewer than asked when the system ran out).</summary>
    public int Opened { get; private set; }

    /// <summary>Opens the sockets and starts punching.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_closed || Opened > 0)
                return;
            for (var i = 0; i < _options.BirthdaySockets; i++)
            {
                BirthdaySocket socket;
                try
                {
                    socket = _open();
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
                {
                    break; // out of sockets or ports: punch with what we have
                }
                var entry = new Entry(socket);
                _sockets.Add(entry);
                Opened++;
                entry.Subscription = socket.Datagrams.Subscribe(d => Receive(entry, d), _ => { }, () => { });
            }
        }
        var rounds = 0;
        _punching.Disposable = _scheduler.Schedule(TimeSpan.Zero, self =>
        {
            if (rounds++ >= _options.BirthdayPunchRounds)
                return;
            PunchRound();
            self(_options.BirthdayPunchInterval);
        });
        _window.Disposable = _scheduler.Schedule(_options.BirthdayWindow, () =>
        {
            lock (_gate)
            {
                if (_kept is not null)
                    return;
            }
            Dispose();
        });
    }

    /// <summary>Keeps <paramref name="winner"/> (its closing is now its taker's) and closes every other socket.</summary>
    public void Keep(BirthdaySocket winner)
    {
        List<Entry> losers;
        lock (_gate)
        {
            if (_closed || _kept is not null)
                return;
            _kept = winner;
            losers = [.. _sockets.Where(e => e.Socket != winner)];
            _sockets.RemoveAll(e => e.Socket != winner);
        }
        _punching.Disposable = null;
        _window.Disposable = null;
        foreach (var loser in losers)
            loser.Close();
    }

    /// <summary>Closes every socket but a kept one (whose datagrams still arrive through <c>heard</c>).</summary>
    public void Dispose()
    {
        List<Entry> closing;
        lock (_gate)
        {
            if (_closed)
                return;
            _closed = true;
            closing = [.. _sockets.Where(e => e.Socket != _kept)];
            _sockets.RemoveAll(e => e.Socket != _kept);
        }
        _punching.Dispose();
        _window.Dispose();
        foreach (var entry in closing)
            entry.Close();
    }

    /// <summary>Closes the kept socket too (the session ended).</summary>
    public void CloseKept()
    {
        Entry[] all;
        lock (_gate)
        {
            _closed = true;
            all = [.. _sockets];
            _sockets.Clear();
        }
        _punching.Dispose();
        _window.Dispose();
        foreach (var entry in all)
            entry.Close();
    }

    private void PunchRound()
    {
        Entry[] sockets;
        lock (_gate)
        {
            if (_closed || _kept is not null)
                return;
            sockets = [.. _sockets];
        }
        foreach (var entry in sockets)
        {
            Interlocked.Increment(ref _sent);
            entry.Socket.Send.SendIgnoringLoss(PeerDatagrams.Probe, _peer); // a lost punch: the next round, or another socket, covers it
        }
    }

    private void Receive(Entry entry, Datagram datagram)
    {
        if (!PlainAddress.Same(datagram.RemoteEndPoint, _peer))
        {
            Interlocked.Increment(ref _strangers);
            return;
        }
        bool first;
        lock (_gate)
        {
            if (entry.Closed)
                return;
            first = !entry.Heard;
            entry.Heard = true;
        }
        if (first)
            _hit(entry.Socket);
        _heard(entry.Socket, datagram.RemoteEndPoint, datagram.Payload);
    }

    private sealed class Entry(BirthdaySocket socket)
    {
        public BirthdaySocket Socket { get; } = socket;

        public IDisposable? Subscription { get; set; }

        public bool Heard { get; set; }

        public bool Closed { get; private set; }

        public void Close()
        {
            Closed = true;
            Subscription?.Dispose();
            Socket.Closer.Dispose();
        }
    }
}
