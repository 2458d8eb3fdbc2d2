using System.Net;
using System.Reactive.Concurrency;

namespace SecretChat.Transport.Simulation;

/// <summary>
/// Two endpoints joined by a lossy, duplicating, reordering, delaying and optionally rate-limited
/// path in the time of an <see cref="IScheduler"/> (a TestScheduler for virtual time). Generic:
/// bytes in, bytes out, so it can carry raw reliability payloads or whole sealed datagrams.
/// Deterministic for a given seed and call order. Thread-safe, but meant for one scheduler thread.
/// </summary>
public sealed class SimulatedLink
{
    private readonly Lock _gate = new();
    private readonly IScheduler _scheduler;
    private readonly SimulatedLinkOptions _options;
    private readonly Random _random;
    private DateTimeOffset _busyUntilA, _busyUntilB;
    private long _sent, _delivered, _lost, _droppedWhileCut, _droppedOversize, _droppedByQueue, _duplicated, _reordered;

    /// <summary>The default address of end <see cref="A"/> (a made-up loopback port; nothing is bound).</summary>
    public static IPEndPoint DefaultAddressA { get; } = new(IPAddress.Loopback, 50001);

    /// <summary>The default address of end <see cref="B"/>.</summary>
    public static IPEndPoint DefaultAddressB { get; } = new(IPAddress.Loopback, 50002);

    /// <summary>A link whose ends have the given addresses (<see cref="DefaultAddressA"/> and <see cref="DefaultAddressB"/> when null).</summary>
    /// <param name="scheduler">The clock of every delay (a TestScheduler for virtual time).</param>
    /// <param name="options">Loss, delay, duplication, reordering and rate.</param>
    /// <param name="addressA">End A's address.</param>
    /// <param name="addressB">End B's address; must differ from A's.</param>
    public SimulatedLink(IScheduler scheduler, SimulatedLinkOptions options, IPEndPoint? addressA = null, IPEndPoint? addressB = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        addressA ??= DefaultAddressA;
        addressB ??= DefaultAddressB;
        if (addressA.Equals(addressB))
            throw new ArgumentException("The two ends of a link need different addresses.", nameof(addressB));
        _scheduler = scheduler;
        _options = options;
        _random = new Random(options.Seed);
        A = new SimulatedEndpoint(this, "A", addressA);
        B = new SimulatedEndpoint(this, "B", addressB);
        A.Peer = B;
        B.Peer = A;
    }

    /// <summary>One end.</summary>
    public SimulatedEndpoint A { get; }

    /// <summary>The other end.</summary>
    public SimulatedEndpoint B { get; }

    /// <summary>Silences both directions.</summary>
    public void Cut()
    {
        A.Cut();
        B.Cut();
    }

    /// <summary>Undoes <see cref="Cut"/> in both directions.</summary>
    public void Restore()
    {
        A.Restore();
        B.Restore();
    }

    /// <summary>A snapshot of what the link did so far, both directions together.</summary>
    public SimulatedLinkStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new SimulatedLinkStatistics
                {
                    Sent = _sent,
                    Delivered = _delivered,
                    Lost = _lost,
                    DroppedWhileCut = _droppedWhileCut,
                    DroppedOversize = _droppedOversize,
                    DroppedByQueue = _droppedByQueue,
                    Duplicated = _duplicated,
                    Reordered = _reordered,
                };
            }
        }
    }

    internal void Transfer(SimulatedEndpoint from, ReadOnlyMemory<byte> datagram)
    {
        lock (_gate)
        {
            _sent++;
            if (from.IsCut)
            {
                _droppedWhileCut++;
                return;
            }
            if (datagram.Length > _options.MaxDatagramSize)
            {
                _droppedOversize++;
                return;
            }
            var copies = 1;
            if (_random.NextDouble() < _options.DuplicationRate)
            {
                copies = 2;
                _duplicated++;
            }
            // The sender's uplink serialises datagrams; every copy then travels on its own.
            var departure = _scheduler.Now;
            if (_options.BytesPerSecond is { } rate)
            {
                ref var busyUntil = ref from == A ? ref _busyUntilA : ref _busyUntilB;
                if (busyUntil > departure)
                {
                    var queued = (busyUntil - departure).Ticks * rate / TimeSpan.TicksPerSecond;
                    if (_options.QueueLimit is { } limit && queued + datagram.Length > limit)
                    {
                        _droppedByQueue++;
                        return;
                    }
                    departure = busyUntil;
                }
                departure += TimeSpan.FromTicks(datagram.Length * TimeSpan.TicksPerSecond / rate);
                busyUntil = departure;
            }
            for (var i = 0; i < copies; i++)
            {
                if (_random.NextDouble() < _options.LossRate)
                {
                    _lost++;
                    continue;
                }
                var arrival = departure + _options.Delay + Fraction(_options.Jitter);
                if (_options.ReorderRate > 0 && _random.NextDouble() < _options.ReorderRate)
                {
                    _reordered++;
                    arrival += Fraction(_options.ReorderDelay);
                }
                var copy = datagram.ToArray();
                var to = from.Peer;
                _scheduler.Schedule(arrival, () =>
                {
                    lock (_gate)
                        _delivered++;
                    to.Deliver(copy);
                });
            }
        }
    }

    private TimeSpan Fraction(TimeSpan maximum) =>
        maximum <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(_random.NextDouble() * maximum.Ticks));
}
