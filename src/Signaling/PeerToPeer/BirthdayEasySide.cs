using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Transport;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>
/// The easy side of a birthday punch: sends punch probes from the session's socket to random ports of the hard peer's
/// public address, <see cref="PeerToPeerOptions.BirthdayProbesPerSecond"/> a second and
/// <see cref="PeerToPeerOptions.BirthdayProbes"/> in all, each port at most once. Each probe opens our (easy) NAT toward
/// that port; one that lands on a port the hard side's sockets punched from gets in, and the hard side answers on it.
/// </summary>
/// <remarks>
/// The order of the two sides' first datagrams does not matter: a probe that reached the hard side's NAT before the
/// hard side punched from that port is dropped there, but it opened our NAT toward the port, so the hard side's later
/// punch from it gets in. That punch is answered (<see cref="Echo"/>) once per probed port, and the answer then passes
/// the hard side's NAT: a hit either way.
/// Only the peer's public address is probed, only ports from <see cref="FirstPort"/> to <see cref="LastPort"/> (where a
/// NAT that chooses ports at random puts them: Linux's for any source port above 1023), and the probes carry nothing.
/// </remarks>
internal sealed class BirthdayEasySide : IDisposable
{
    public const int FirstPort = 1024;
    public const int LastPort = 65535;

    /// <summary>The probes go out in batches this far apart (the rate is per second).</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly IPAddress _peer;
    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly PeerToPeerOptions _options;
    private readonly Random _random;
    private readonly HashSet<int> _probed = [];
    private readonly HashSet<int> _echoed = [];
    private readonly SerialDisposable _spraying = new();
    private readonly Lock _gate = new();
    private double _owed;
    private bool _stopped;
    private bool _disposed;

    /// <param name="peer">The hard peer's public address.</param>
    /// <param name="send">Sends from the session's socket.</param>
    /// <param name="scheduler">The clock of the rate.</param>
    /// <param name="options">The bounds.</param>
    /// <param name="random">Draws the ports (seeded in tests).</param>
    public BirthdayEasySide(IPAddress peer, SendDatagram send, IScheduler scheduler, PeerToPeerOptions options, Random? random = null)
    {
        _peer = peer;
        _send = send;
        _scheduler = scheduler;
        _options = options;
        _random = random ?? Random.Shared;
    }

    /// <summary>Probes sent, echoes included.</summary>
    public int PacketsSent
    {
        get
        {
            lock (_gate)
                return _probed.Count + _echoed.Count;
        }
    }

    /// <summary>Whether it has stopped (budget spent, a path found, or disposed).</summary>
    public bool Stopped
    {
        get
        {
            lock (_gate)
                return _stopped;
        }
    }

    /// <summary>Starts probing: a first batch now, then one every <see cref="Tick"/>.</summary>
    public void Start()
    {
        var budget = Math.Min(_options.BirthdayProbes, LastPort - FirstPort + 1);
        var perTick = _options.BirthdayProbesPerSecond * Tick.TotalSeconds;
        _spraying.Disposable = _scheduler.Schedule(TimeSpan.Zero, self =>
        {
            List<int> ports = [];
            lock (_gate)
            {
                if (_stopped)
                    return;
                _owed += perTick;
                while (_owed >= 1 && _probed.Count < budget)
                {
                    _owed--;
                    int port;
                    do
                        port = _random.Next(FirstPort, LastPort + 1);
                    while (!_probed.Add(port));
                    ports.Add(port);
                }
                if (_probed.Count >= budget)
                    _stopped = true;
            }
            foreach (var port in ports)
                _send.SendIgnoringLoss(PeerDatagrams.Probe, new IPEndPoint(_peer, port)); // a lost probe: one port fewer tried
            if (!Stopped)
                self(Tick);
        });
    }

    /// <summary>
    /// A punch probe arrived from <paramref name="from"/>: when it is the peer's public address at a port we probed, the
    /// hard side punched from that port after our probe reached it, and one probe back now gets through (once per port).
    /// Anything else is ignored.
    /// </summary>
    public void Echo(IPEndPoint from)
    {
        lock (_gate)
        {
            if (_disposed || !PlainAddress.Same(from.Address, _peer) || !_probed.Contains(from.Port) || !_echoed.Add(from.Port))
                return;
        }
        _send.SendIgnoringLoss(PeerDatagrams.Probe, new IPEndPoint(_peer, from.Port)); // lost: the hard side's next round covers it
    }

    /// <summary>Stops probing and echoing.</summary>
    public void Dispose()
    {
        lock (_gate)
            _stopped = _disposed = true;
        _spraying.Dispose();
    }
}
