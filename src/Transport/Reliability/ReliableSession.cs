using System.Buffers;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace SecretChat.Transport.Reliability;

/// <summary>
/// Reliable, ordered, exactly-once messages over an unreliable payload channel (one sealed UDP
/// datagram per payload): sequencing, selective acknowledgements, retransmission on an RFC 6298 timer
/// and on fast-retransmit evidence, fragmentation and reassembly, flow control, keepalives and
/// dead-peer detection. Pure logic: no sockets, no crypto; all time comes from the scheduler.
/// The wire format is described on <see cref="ReliabilityPacket"/>.
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Receive"/>, <see cref="SendAsync"/>, <see cref="CompleteAsync"/> and the
/// timers may run on different threads; state is guarded by one lock that is never held while user
/// code runs. The transmit callback and observers may therefore call back into the session
/// (e.g. a synchronous loopback into the peer, or <see cref="SendAsync"/> from <c>OnNext</c>).
/// Packets are transmitted one at a time, in the order the session numbered them, and messages delivered one at a
/// time, in order, by whichever thread gets there first.
/// The scheduler must not run future work inline (TestScheduler, EventLoopScheduler,
/// TaskPoolScheduler and DefaultScheduler all qualify; ImmediateScheduler does not).
/// </remarks>
public sealed partial class ReliableSession : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ReliabilityOptions _options;
    private readonly IScheduler _scheduler;
    private readonly Action<ReadOnlyMemory<byte>> _transmit;
    private readonly Subject<ReadOnlyMemory<byte>> _messages = new();
    private readonly Subject<ReadOnlyMemory<byte>> _lentMessages = new();
    private readonly Queue<Delivery> _deliveries = new();
    private readonly Outbox _outbox = new();
    private readonly RoundTripEstimator _rtt;
    private readonly int _window;
    private readonly int _maxFragment;

    private bool _delivering;
    private bool _disposed;
    private Exception? _failure;
    private bool _messagesTerminated;

    private long _packetsSent, _packetsReceived, _retransmissions, _fastRetransmissions, _timeouts;
    private long _acksSent, _keepAlivesSent, _malformed, _duplicates, _messagesSent, _messagesReceived;

    /// <summary>
    /// A session that sends through <paramref name="transmit"/> and runs its timers on <paramref name="scheduler"/>. Feed
    /// every payload from the peer to <see cref="Receive"/>.
    /// </summary>
    /// <param name="options">Window, sizes and timers; both peers should use the same.</param>
    /// <param name="scheduler">
    /// The clock, and what runs retransmission, acknowledgement and keepalive timers; must not run future work inline. On
    /// <see cref="DefaultScheduler"/> the timers run on one re-armable system timer and the thread pool (where it would
    /// run them), so moving a deadline allocates nothing.
    /// </param>
    /// <param name="transmit">Sends one payload to the peer; the payload is valid only during the call, so copy it to keep it.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds an invalid value.</exception>
    public ReliableSession(ReliabilityOptions options, IScheduler scheduler, Action<ReadOnlyMemory<byte>> transmit)
        : this(options, scheduler, transmit, alarm: null)
    {
    }

    /// <summary>A session whose timer is <paramref name="alarm"/>'s (given the timer and flush callbacks); its clock is still <paramref name="scheduler"/>'s.</summary>
    internal ReliableSession(ReliabilityOptions options, IScheduler scheduler, Action<ReadOnlyMemory<byte>> transmit, Func<Action, Action, SessionAlarm>? alarm)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(transmit);
        options.Validate();
        _options = options;
        _scheduler = scheduler;
        _transmit = transmit;
        _window = options.SendWindow;
        _maxFragment = options.MaxPayloadSize - ReliabilityPacket.DataHeaderSize;
        _inFlight = new OutboundSegment?[_window];
        _segments = new OutboundSegment?[_window];
        _reorder = new InboundSegment?[_window];
        _rtt = new RoundTripEstimator(options.InitialRetransmissionTimeout, options.MinRetransmissionTimeout, options.MaxRetransmissionTimeout);
        _congestion = options.CongestionControl ? new CongestionController(options.MaxPayloadSize) : null;
        _alarm = alarm?.Invoke(OnTimer, OnAckFlush) ?? SessionAlarm.For(scheduler, OnTimer, OnAckFlush);
        lock (_gate)
        {
            _lastSent = _lastReceived = _scheduler.Now;
            ArmTimer();
        }
    }

    /// <summary>
    /// Every complete message from the peer, in order, exactly once. Hot: subscribe before the first
    /// <see cref="Receive"/>. Each message is a fresh array that the observer owns and may keep.
    /// Completes after the peer's close marker (and everything before it); fails with a
    /// <see cref="TimeoutException"/> when the peer goes silent or stops acknowledging.
    /// Disposing the session ends nothing here: the owner chose to stop.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> Messages => _messages.AsObservable();

    /// <summary>
    /// The same messages as <see cref="Messages"/>, in the same order and with the same end, but each lies in a pooled
    /// buffer that is valid only during its <c>OnNext</c> (copy what you keep): a session read only through this
    /// allocates nothing per message it delivers. Hot, like <see cref="Messages"/>.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> LentMessages => _lentMessages.AsObservable();

    /// <summary>A snapshot of the session's counters, taken under its lock.</summary>
    public ReliabilityStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new ReliabilityStatistics
                {
                    PacketsSent = _packetsSent,
                    PacketsReceived = _packetsReceived,
                    Retransmissions = _retransmissions,
                    FastRetransmissions = _fastRetransmissions,
                    Timeouts = _timeouts,
                    AcksSent = _acksSent,
                    KeepAlivesSent = _keepAlivesSent,
                    MalformedDropped = _malformed,
                    DuplicatesReceived = _duplicates,
                    MessagesSent = _messagesSent,
                    MessagesReceived = _messagesReceived,
                    SmoothedRoundTripTime = _rtt.SmoothedRtt,
                    RoundTripTimeVariation = _rtt.RttVariation,
                    RetransmissionTimeout = _rtt.RetransmissionTimeout,
                    CongestionWindow = _congestion?.Window,
                    CongestionEvents = _congestion?.CongestionEvents ?? 0,
                };
            }
        }
    }

    /// <summary>
    /// Takes a round-trip time measured on this path before the session sent anything (the handshake that opened it) as
    /// the session's first sample, as RFC 9002 §5.2 takes the handshake's: a first message that is lost is resent after
    /// about three of those round trips (at least <see cref="ReliabilityOptions.MinRetransmissionTimeout"/>) instead of
    /// after <see cref="ReliabilityOptions.InitialRetransmissionTimeout"/>. Ignored once the session has a sample of its own,
    /// and when it would make the first resend wait longer than the initial timeout: a handshake's time includes both
    /// sides' work, and a cold or busy process can take longer to answer than the path does.
    /// </summary>
    /// <param name="roundTrip">The measured time; a negative one counts as zero.</param>
    public void AddHandshakeRoundTrip(TimeSpan roundTrip)
    {
        lock (_gate)
        {
            // A first sample r gives SRTT r and RTTVAR r/2: an RTO of r + 4 r/2 = 3 r (RFC 6298 2.2).
            if (_rtt.SmoothedRtt is null && roundTrip * 3 < _options.InitialRetransmissionTimeout)
                _rtt.AddSample(roundTrip);
        }
    }

    /// <summary>Stops the timers and fails pending sends and waits; incoming payloads are ignored from now on.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            CancelTimer();
            FailWaiters(new ObjectDisposedException(nameof(ReliableSession)));
        }
    }

    /// <summary>Moves the session to its failed state: the peer is gone. Caller holds the lock.</summary>
    private void Fail(Exception error)
    {
        if (_failure is not null || _disposed)
            return;
        _failure = error;
        CancelTimer();
        FailWaiters(error);
        if (!_messagesTerminated)
        {
            _messagesTerminated = true;
            _deliveries.Enqueue(Delivery.Failed(error));
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
            throw new InvalidOperationException("The session has failed: " + _failure.Message, _failure);
    }

    /// <summary>
    /// Runs what the locked sections decided, outside the lock: the queued transmissions, in the order they were queued,
    /// then the deliveries in order. One thread transmits at a time; a thread that finds another transmitting leaves its
    /// payloads to it (they are queued behind what that thread is sending), so the wire carries packets in the order the
    /// session numbered them, whichever threads numbered them.
    /// </summary>
    private void Flush()
    {
        List<(byte[] Buffer, int Length)>? batch;
        lock (_gate)
            batch = _outbox.TakeBatch();
        while (batch is not null)
        {
            foreach (var (buffer, length) in batch)
            {
                try
                {
                    if (_failure is null)
                        _transmit(buffer.AsMemory(0, length));
                }
                catch (Exception ex)
                {
                    // Exceptions from user code end the session rather than the caller's thread (a timer's).
                    lock (_gate)
                        Fail(ex);
                }
                finally
                {
                    ReturnBuffer(buffer);
                }
            }
            lock (_gate)
                batch = _outbox.BatchSent();
        }
        Deliver();
    }

    private void Deliver()
    {
        while (true)
        {
            Delivery delivery;
            lock (_gate)
            {
                // One thread delivers at a time, so messages stay in order across threads and re-entry.
                if (_delivering || !_deliveries.TryDequeue(out delivery))
                    return;
                _delivering = true;
            }
            try
            {
                if (delivery.Message is { } message)
                {
                    try
                    {
                        // A fresh array only for an observer of Messages, which may keep it.
                        if (_messages.HasObservers)
                            _messages.OnNext(message.AsSpan(0, delivery.Length).ToArray());
                        _lentMessages.OnNext(message.AsMemory(0, delivery.Length));
                    }
                    finally
                    {
                        ReturnBuffer(message);
                    }
                }
                else if (delivery.Error is { } error)
                {
                    _messages.OnError(error);
                    _lentMessages.OnError(error);
                }
                else
                {
                    _messages.OnCompleted();
                    _lentMessages.OnCompleted();
                }
            }
            finally
            {
                lock (_gate)
                    _delivering = false;
            }
        }
    }

    /// <summary>
    /// The payloads the locked sections queued, in order, until <see cref="Flush"/> sends them: two lists that swap, the
    /// one being filled under the lock and the one the transmitting thread sends outside it, so steady traffic
    /// allocates nothing. Every member is called under the session's lock.
    /// </summary>
    private sealed class Outbox
    {
        private List<(byte[] Buffer, int Length)> _queued = [];
        private List<(byte[] Buffer, int Length)> _sending = [];
        private bool _transmitting;

        public Span<byte> Rent(int size, out byte[] buffer)
        {
            buffer = RentBuffer(size);
            return buffer;
        }

        public void Add(byte[] buffer, int length) => _queued.Add((buffer, length));

        /// <summary>What the calling thread is to send now; null when nothing is queued or another thread is sending it.</summary>
        public List<(byte[] Buffer, int Length)>? TakeBatch()
        {
            if (_transmitting || _queued.Count == 0)
                return null;
            _transmitting = true;
            (_queued, _sending) = (_sending, _queued);
            return _sending;
        }

        /// <summary>The batch from <see cref="TakeBatch"/> is sent: the next one (queued meanwhile by any thread), or null.</summary>
        public List<(byte[] Buffer, int Length)>? BatchSent()
        {
            _sending.Clear();
            _transmitting = false;
            return TakeBatch();
        }
    }

    /// <summary>A whole message (the first <see cref="Length"/> bytes of a pooled buffer), the end, or the failure.</summary>
    private readonly record struct Delivery(byte[]? Message, int Length, Exception? Error)
    {
        public static Delivery Next(byte[] message, int length) => new(message, length, null);
        public static Delivery Failed(Exception error) => new(null, 0, error);
        public static Delivery Completed => default;
    }
}
