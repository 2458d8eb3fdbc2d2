using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace SecretChat.Transport.Stun;

/// <summary>
/// Sends Binding requests and retransmits them per RFC 8489 §6.2.1 on an <see cref="IScheduler"/>. It owns no socket:
/// it sends through a <see cref="SendDatagram"/> and the owner of the socket feeds it datagrams with <see cref="TryHandle"/>.
/// </summary>
public sealed class StunClient
{
    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly StunClientOptions _options;
    private readonly Dictionary<StunTransactionId, Transaction> _pending = [];

    /// <summary>Recently finished transactions: a late answer to a retransmitted request is still ours.</summary>
    private readonly Queue<StunTransactionId> _finished = new();

    private const int RememberFinished = 32;
    private readonly Lock _gate = new();

    /// <summary>A client that sends through <paramref name="send"/> and times retransmissions on <paramref name="scheduler"/>.</summary>
    /// <param name="send">Sends one datagram to a server: the owner of the socket implements it.</param>
    /// <param name="scheduler">Runs the retransmission and transaction timers.</param>
    /// <param name="options">Retransmission timing; the defaults of RFC 8489 when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="send"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds an invalid value.</exception>
    public StunClient(SendDatagram send, IScheduler scheduler, StunClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(scheduler);
        options ??= new StunClientOptions();
        options.Validate();
        _send = send;
        _scheduler = scheduler;
        _options = options;
    }

    /// <summary>The retransmission timing this client uses.</summary>
    public StunClientOptions Options => _options;

    /// <summary>Sends a Binding request to <paramref name="server"/> and returns the mapped address it reports.</summary>
    /// <exception cref="StunTimeoutException">No answer within <see cref="StunClientOptions.TransactionTimeout"/>.</exception>
    /// <exception cref="StunErrorResponseException">The server answered with an error.</exception>
    public Task<StunBinding> BindAsync(IPEndPoint server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        cancellationToken.ThrowIfCancellationRequested();
        var id = StunTransactionId.New();
        var builder = new StunMessageBuilder(StunMessageType.BindingRequest, id);
        if (_options.Software is { } software)
            builder.AddSoftware(software);
        var transaction = new Transaction(this, id, server, builder.AddFingerprint().ToArray(), cancellationToken);
        lock (_gate)
            _pending.Add(id, transaction);
        transaction.Start();
        return transaction.Task;
    }

    /// <summary>
    /// Offers an inbound datagram. True when it was the response to one of our pending requests (consumed);
    /// false for anything else, which the caller passes on (signaling, session packets, strays).
    /// </summary>
    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!StunMessage.IsStun(datagram) || datagram.Length < StunMessage.HeaderLength)
            return false;
        var id = StunTransactionId.Read(datagram[8..]);
        Transaction? transaction;
        lock (_gate)
        {
            if (!_pending.TryGetValue(id, out transaction))
                return _finished.Contains(id); // a duplicate answer: consumed, never passed on to other protocols
        }

        if (!StunMessage.TryParse(datagram, out var message)
            || message.Type.Method != StunMessageType.BindingMethod
            || message.Type.Class is StunClass.Request or StunClass.Indication
            || (message.HasFingerprint && !message.VerifyFingerprint()))
        {
            return true; // ours by id, but unusable: keep waiting for a good one (a retransmission may bring it)
        }

        if (message.Type.Class == StunClass.ErrorResponse)
        {
            transaction.Fail(new StunErrorResponseException(Describe(transaction.Server), message.ErrorCode));
            return true;
        }

        if (message.ReflexiveAddress is not { } mapped)
            return true;

        transaction.Complete(new StunBinding(transaction.Server, mapped, message.Software));
        return true;
    }

    internal static string Describe(IPEndPoint endPoint) => endPoint.ToString();

    private void Remove(StunTransactionId id)
    {
        lock (_gate)
        {
            if (!_pending.Remove(id))
                return;
            _finished.Enqueue(id);
            if (_finished.Count > RememberFinished)
                _finished.Dequeue();
        }
    }

    private sealed class Transaction
    {
        private readonly StunClient _client;
        private readonly byte[] _request;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<StunBinding> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SerialDisposable _timer = new(); // the one pending timer: the next retransmission or the final wait
        private CancellationTokenRegistration _registration;
        private int _sent;
        private TimeSpan _rto;

        public Transaction(StunClient client, StunTransactionId id, IPEndPoint server, byte[] request, CancellationToken cancellationToken)
        {
            _client = client;
            Id = id;
            Server = server;
            _request = request;
            _cancellationToken = cancellationToken;
            _rto = client._options.InitialRto;
        }

        public StunTransactionId Id { get; }

        public IPEndPoint Server { get; }

        public Task<StunBinding> Task => _result.Task;

        public void Start()
        {
            _registration = _cancellationToken.Register(() =>
            {
                if (_result.TrySetCanceled(_cancellationToken))
                    Cleanup();
            });
            SendNext();
        }

        public void Complete(StunBinding binding)
        {
            if (_result.TrySetResult(binding))
                Cleanup();
        }

        public void Fail(Exception error)
        {
            if (_result.TrySetException(error))
                Cleanup();
        }

        private void SendNext()
        {
            if (_result.Task.IsCompleted)
                return;
            var options = _client._options;
            _sent++;
            _ = SendAsync();
            if (_sent < options.MaxRequests)
            {
                var wait = _rto;
                _rto = new Backoff(options.InitialRto, TimeSpan.MaxValue).Next(_rto); // RFC 8489 7.2.1: doubling, uncapped
                _timer.Disposable = _client._scheduler.Schedule(wait, SendNext);
            }
            else
            {
                _timer.Disposable = _client._scheduler.Schedule(options.InitialRto * options.LastWaitFactor, () =>
                    Fail(new StunTimeoutException(Describe(Server), options.TransactionTimeout)));
            }
        }

        private async Task SendAsync()
        {
            try
            {
                await _client._send(_request, Server, _cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                // Start's registration reports the cancellation.
            }
            catch (Exception ex)
            {
                Fail(new IOException($"could not send a STUN request to {Describe(Server)}: {ex.Message}", ex));
            }
        }

        private void Cleanup()
        {
            _timer.Dispose();
            _registration.Dispose();
            _client.Remove(Id);
        }
    }
}
