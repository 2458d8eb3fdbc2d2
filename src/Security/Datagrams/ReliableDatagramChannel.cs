using System.Buffers;
using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// The UDP secure channel: the sealed datagram channel (handshake, AEAD with explicit counters, replay
/// window, roaming) carrying the reliability engine's packets (sequence numbers, acks, retransmission,
/// fragmentation, keepalives, dead-peer detection) inside every sealed payload.
/// </summary>
/// <remarks>
/// Inbound: datagram → <see cref="SecureDatagramChannel.Receive(System.Net.IPEndPoint, ReadOnlySpan{byte})"/> (open, replay check) → payload →
/// <see cref="ReliableSession.Receive"/> → complete messages in order. Outbound: message →
/// <see cref="ReliableSession.SendAsync"/> → payloads → <see cref="SecureDatagramChannel.SendAsync"/> (seal) → socket.
/// </remarks>
public sealed class ReliableDatagramChannel : ISecureChannel
{
    /// <summary>
    /// How long a closing side at most keeps answering so its last packets (the close marker) can be acknowledged;
    /// it stops as soon as they are. Long enough for a few retransmissions even when loss has backed the timer off.
    /// </summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);

    private readonly SecureDatagramChannel _datagrams;
    private readonly ReliableSession _reliable;
    private readonly IScheduler _scheduler;
    private readonly IAsyncDisposable? _owned;
    private readonly IPeerPath? _path;
    private readonly SingleAssignmentDisposable _feeding = new();
    private int _subscribed;
    private int _roundTripTaken;
    private int _disposed;

    /// <summary>Reliable, ordered messages over <paramref name="datagrams"/>, which the channel owns from now on.</summary>
    /// <param name="datagrams">The sealed datagram channel, already wired to its socket.</param>
    /// <param name="options">Reliability settings; the payload size is fitted to one sealed datagram.</param>
    /// <param name="scheduler">The clock for every timer.</param>
    /// <param name="owned">What this channel disposes last (the socket and its wiring, when the channel owns them).</param>
    /// <param name="path">The path manager of a punched session (direct or relayed); null for a plain UDP session.</param>
    public ReliableDatagramChannel(SecureDatagramChannel datagrams, ReliabilityOptions options, IScheduler scheduler, IAsyncDisposable? owned = null, IPeerPath? path = null)
    {
        ArgumentNullException.ThrowIfNull(datagrams);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        _datagrams = datagrams;
        _scheduler = scheduler;
        _owned = owned;
        _path = path;
        // The same largest message as over TCP (TransportLimits.MaxMessageSize), so a chat fits either transport.
        var fitted = options with
        {
            MaxPayloadSize = Math.Min(options.MaxPayloadSize, datagrams.MaxPayloadSize),
            MaxMessageSize = Math.Min(options.MaxMessageSize, TransportLimits.MaxMessageSize),
        };
        MaxMessageSize = fitted.MaxMessageSize;
        _reliable = new ReliableSession(fitted, scheduler, Transmit);

        Messages = Observable.Create<ReadOnlySequence<byte>>(observer =>
        {
            if (Interlocked.Exchange(ref _subscribed, 1) != 0)
            {
                observer.OnError(new InvalidOperationException("A secure channel's messages can be subscribed once."));
                return Disposable.Empty;
            }
            // Lent: each message lies in a pooled buffer during its OnNext, as ISecureChannel promises (no copy per message).
            var messages = _reliable.LentMessages.Subscribe(
                message => observer.OnNext(new ReadOnlySequence<byte>(message)), error => observer.OnError(Explain(error)), observer.OnCompleted);
            // Feeding the engine outlives this subscription: after the peer's close completes the messages,
            // the engine must still hear the acknowledgements of our own close, until the channel is disposed.
            _feeding.Disposable = _datagrams.Payloads.Subscribe(payload => _reliable.Receive(payload.Span), observer.OnError);
            return messages;
        });
    }

    /// <inheritdoc/>
    public IObservable<ReadOnlySequence<byte>> Messages { get; }

    /// <inheritdoc/>
    public Task<SecureSession> Established => _datagrams.Established;

    /// <inheritdoc/>
    public EndPoint? RemoteEndPoint => _datagrams.RemoteEndPoint;

    /// <summary>What carries the datagrams (UDP unless the creator says otherwise).</summary>
    public TransportKind Transport { get; init; } = TransportKind.Udp;

    /// <inheritdoc/>
    public PathKind Path => _path?.Path ?? PathKind.Direct;

    /// <inheritdoc/>
    public IObservable<PathChange> PathChanges => _path?.Changes ?? Observable.Never<PathChange>();

    /// <inheritdoc/>
    public IObservable<string> Notices => _path?.Notices ?? Observable.Never<string>();

    /// <summary>The path as it is now, with the smoothed round-trip time the reliability engine measured.</summary>
    public PathReport ReportPath() => _path?.Report(_reliable.Statistics.SmoothedRoundTripTime)
        ?? new PathReport(Transport, PathKind.Direct, RemoteEndPoint) { MeasuresRoundTrip = true, RoundTrip = _reliable.Statistics.SmoothedRoundTripTime };

    /// <inheritdoc/>
    public int MaxMessageSize { get; }

    /// <summary>What the reliability engine measured (RTT, retransmissions, ...).</summary>
    public ReliabilityStatistics Reliability => _reliable.Statistics;

    /// <summary>What the datagram layer dropped and why.</summary>
    public DatagramStatistics Datagrams => _datagrams.Statistics;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The handshake has not completed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (!_datagrams.Established.IsCompletedSuccessfully)
            throw new InvalidOperationException("The handshake has not completed.");
        // The handshake's round trip times the first messages, until they bring samples of their own.
        if (Volatile.Read(ref _roundTripTaken) == 0 && Interlocked.Exchange(ref _roundTripTaken, 1) == 0 && _datagrams.HandshakeRoundTrip is { } roundTrip)
            _reliable.AddHandshakeRoundTrip(roundTrip);
        return _reliable.SendAsync(message, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask CompleteAsync() => _reliable.CompleteAsync();

    /// <summary>
    /// Ends the channel: once established, it keeps answering until the peer acknowledged everything or a short linger
    /// passed, then disposes the datagram channel.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_datagrams.Established.IsCompletedSuccessfully)
        {
            // Keep answering briefly so the peer's last acks (and our close marker) get through.
            try
            {
                var linger = Observable.Timer(Linger, _scheduler).Select(_ => false).ToTask();
                await Task.WhenAny(_reliable.WhenAllAcknowledgedAsync(), linger).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // The session is gone already; nothing left to linger for.
            }
        }
        _feeding.Dispose();
        _reliable.Dispose();
        _path?.Dispose();
        await _datagrams.DisposeAsync().ConfigureAwait(false);
        if (_owned is not null)
            await _owned.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A silent peer on the relay usually means the relay went away: say so.</summary>
    private Exception Explain(Exception error) => error is TimeoutException && _path is { Path: PathKind.Relay }
        ? new TimeoutException($"{error.Message.TrimEnd('.')} on the relay: the signaling server stopped forwarding or the peer left, and no direct path exists.", error)
        : error;

    private void Transmit(ReadOnlyMemory<byte> payload)
    {
        ValueTask sending;
        try
        {
            sending = _datagrams.SendAsync(payload);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            return; // A lost datagram: the reliability engine retransmits or declares the peer dead.
        }
        if (!sending.IsCompletedSuccessfully)
            SendWatch.Watch(sending);
    }

    /// <summary>
    /// Takes the result of a send the socket did not complete at once (one in 32 after a paced yield), so its pooled
    /// state machine goes back to its pool; nothing else waits for it. The watches are pooled too, where an
    /// <c>async Task</c> allocated a task each time.
    /// </summary>
    internal sealed class SendWatch
    {
        private const int MaxIdle = 64;
        private static readonly Stack<SendWatch> s_idle = new();

        private readonly Action _completed;
        private ValueTask _sending;

        private SendWatch() => _completed = Completed;

        public static void Watch(ValueTask sending)
        {
            SendWatch? watch;
            lock (s_idle)
                s_idle.TryPop(out watch);
            watch ??= new SendWatch();
            watch._sending = sending;
            sending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(watch._completed);
        }

        private void Completed()
        {
            var sending = _sending;
            _sending = default;
            try
            {
                sending.GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // As before, when an unawaited task held it: a lost datagram is the reliability engine's business, and a
                // failing socket shows in the receive loop and the session's timers, not on this thread-pool thread.
            }
            lock (s_idle)
            {
                if (s_idle.Count < MaxIdle)
                    s_idle.Push(this);
            }
        }
    }
}
