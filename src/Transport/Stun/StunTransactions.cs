using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace SecretChat.Transport.Stun;

/// <summary>
/// The client transactions of one STUN or TURN client over UDP: each request is retransmitted per RFC 8489 §6.2.1 (RTO
/// doubling, uncapped, Rc requests, then Rm·RTO for the last answer) on an <see cref="IScheduler"/> until its owner
/// completes it with a result (the response, or what it says), it times out, is cancelled, or the client closes.
/// Recently finished ids are remembered, so a late answer to a retransmitted request is known as a duplicate rather
/// than a stranger.
/// </summary>
/// <remarks>
/// The owner parses and judges responses (method, integrity, class) and completes or fails the transaction it finds with
/// <see cref="Find"/>; the engine only times, resends and keeps the books. <see cref="StunClient"/> and the TURN client
/// share it.
/// </remarks>
/// <typeparam name="TResult">What a transaction completes with.</typeparam>
internal sealed class StunTransactions<TResult>
{
    private const int RememberFinished = 32;

    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly StunClientOptions _options;
    private readonly Func<IPEndPoint, TimeSpan, Exception> _timedOut;
    private readonly Func<Exception, IPEndPoint, Exception?> _sendFailed;
    private readonly CancellationToken _closing;
    private readonly Func<Exception>? _closed;
    private readonly Dictionary<StunTransactionId, StunTransaction> _pending = [];
    private readonly Queue<StunTransactionId> _finished = new();
    private readonly Lock _gate = new();

    /// <param name="send">Sends one datagram (the owner of the socket implements it).</param>
    /// <param name="scheduler">Times the retransmissions and the final wait.</param>
    /// <param name="options">RTO, Rc and Rm (validated by the caller).</param>
    /// <param name="timedOut">The failure of a transaction that got no answer: the server and how long it waited.</param>
    /// <param name="sendFailed">
    /// What a failed send of a request means: the failure to end the transaction with, or null to go on (a lost
    /// request: the retransmission covers it). Cancellation is reported by the transaction's token, not here.
    /// </param>
    /// <param name="closing">Cancelled when the client closes: every pending transaction then fails with <paramref name="closed"/>.</param>
    /// <param name="closed">The failure of a transaction still pending when the client closes.</param>
    public StunTransactions(
        SendDatagram send, IScheduler scheduler, StunClientOptions options, Func<IPEndPoint, TimeSpan, Exception> timedOut,
        Func<Exception, IPEndPoint, Exception?> sendFailed, CancellationToken closing = default, Func<Exception>? closed = null)
    {
        _send = send;
        _scheduler = scheduler;
        _options = options;
        _timedOut = timedOut;
        _sendFailed = sendFailed;
        _closing = closing;
        _closed = closed;
    }

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="server"/> and retransmits it until the transaction ends.
    /// <paramref name="state"/> is kept with it for whoever judges its response (a TURN request's method and key).
    /// </summary>
    public Task<TResult> Start(StunTransactionId id, byte[] request, IPEndPoint server, object? state, CancellationToken cancellationToken)
    {
        var transaction = new StunTransaction(this, id, request, server, state, cancellationToken);
        lock (_gate)
            _pending.Add(id, transaction);
        transaction.Start();
        return transaction.Task;
    }

    /// <summary>
    /// The pending transaction of <paramref name="id"/>, if any; <paramref name="finished"/> says whether it is one that
    /// ended a moment ago (its answer is a duplicate, consumed but not used).
    /// </summary>
    public StunTransaction? Find(StunTransactionId id, out bool finished)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(id, out var transaction))
            {
                finished = false;
                return transaction;
            }

            finished = _finished.Contains(id);
            return null;
        }
    }

    private void Finish(StunTransactionId id)
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

    /// <summary>One request, retransmitted until it ends.</summary>
    internal sealed class StunTransaction
    {
        private readonly StunTransactions<TResult> _owner;
        private readonly byte[] _request;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<TResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SerialDisposable _timer = new(); // the one pending timer: the next retransmission or the final wait
        private CancellationTokenRegistration _registration;
        private CancellationTokenRegistration _closing;
        private int _sent;
        private TimeSpan _rto;

        public StunTransaction(StunTransactions<TResult> owner, StunTransactionId id, byte[] request, IPEndPoint server, object? state, CancellationToken cancellationToken)
        {
            _owner = owner;
            Id = id;
            Server = server;
            State = state;
            _request = request;
            _cancellationToken = cancellationToken;
            _rto = owner._options.InitialRto;
        }

        public StunTransactionId Id { get; }

        /// <summary>Where the request went.</summary>
        public IPEndPoint Server { get; }

        /// <summary>What the owner kept with the request.</summary>
        public object? State { get; }

        public Task<TResult> Task => _result.Task;

        public void Start()
        {
            _registration = _cancellationToken.Register(() =>
            {
                if (_result.TrySetCanceled(_cancellationToken))
                    Cleanup();
            });
            if (_owner._closed is { } closed)
            {
                _closing = _owner._closing.Register(() =>
                {
                    if (_result.TrySetException(closed()))
                        Cleanup();
                });
            }

            SendNext();
        }

        public void Complete(TResult result)
        {
            if (_result.TrySetResult(result))
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
            _sent++;
            ScheduleNext(_owner._options); // before sending: a response handled on another thread finds the timer to cancel
            _ = SendAsync();
        }

        private void ScheduleNext(StunClientOptions options)
        {
            if (_sent < options.MaxRequests)
            {
                var wait = _rto;
                _rto = new Backoff(options.InitialRto, TimeSpan.MaxValue).Next(_rto); // RFC 8489 §6.2.1: doubling, uncapped
                _timer.Disposable = _owner._scheduler.Schedule(wait, SendNext);
            }
            else
            {
                _timer.Disposable = _owner._scheduler.Schedule(options.InitialRto * options.LastWaitFactor, () =>
                    Fail(_owner._timedOut(Server, options.TransactionTimeout)));
            }
        }

        private async Task SendAsync()
        {
            try
            {
                await _owner._send(_request, Server, _cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                // Start's registration reports the cancellation.
            }
            catch (Exception ex)
            {
                if (_owner._sendFailed(ex, Server) is { } failure)
                    Fail(failure);
            }
        }

        private void Cleanup()
        {
            _timer.Dispose();
            _registration.Dispose();
            _closing.Dispose();
            _owner.Finish(Id);
        }
    }
}
