using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>Requests: long-term authentication (RFC 8489 §9.2), retransmission (§6.2.1) and matching responses.</summary>
public sealed partial class TurnClient
{
    private const int RememberFinished = 32;
    private readonly Dictionary<StunTransactionId, Transaction> _pending = [];

    /// <summary>Recently finished transactions: a late answer to a retransmitted request is a duplicate, not a forgery.</summary>
    private readonly Queue<StunTransactionId> _finished = new();

    /// <summary>
    /// Sends a request of <paramref name="method"/> until it succeeds, answering 401 and 438 challenges; an error
    /// response becomes a <see cref="TurnException"/> about <paramref name="what"/>.
    /// </summary>
    private async Task<StunMessage> RequestAsync(ushort method, Action<StunMessageBuilder> addAttributes, string what, CancellationToken cancellationToken)
    {
        for (var challenges = 0; ; challenges++)
        {
            Authentication? sent;
            lock (_gate)
                sent = _authentication;
            var id = StunTransactionId.New();
            var builder = new StunMessageBuilder(new StunMessageType(method, StunClass.Request), id);
            addAttributes(builder);
            if (_options.Retransmission.Software is { } software)
                builder.AddSoftware(software);
            if (sent is not null)
                builder.AddUsername(_credentials.Username).AddRealm(sent.Realm).AddNonce(sent.Nonce).AddMessageIntegrity(sent.Key);
            var request = builder.AddFingerprint().ToArray();

            var response = await StartTransaction(method, id, request, sent?.Key, cancellationToken).ConfigureAwait(false);
            if (response.Type.Class == StunClass.SuccessResponse)
                return response;

            var error = response.ErrorCode ?? throw TurnException.Protocol(Server, $"{what} with an error response without ERROR-CODE");
            if (error.Code == StunErrorCode.WrongCredentials)
                throw TurnException.CredentialsRefused(Server, error, _credentials, _scheduler.Now);
            if (error.Code is not (StunErrorCode.Unauthenticated or StunErrorCode.StaleNonce))
                throw TurnException.Refused(Server, what, error);

            var realm = response.Realm ?? sent?.Realm;
            if (realm is null || response.Nonce is not { } nonce)
                throw TurnException.Protocol(Server, $"{what} with a {error.Code} challenge without REALM and NONCE");
            lock (_gate)
            {
                // A 401 to credentials the server just saw for this realm is a refusal, unless another request has
                // meanwhile learnt a new nonce (then this one was merely stale).
                if (error.Code == StunErrorCode.Unauthenticated && sent is not null && sent.Realm == realm && ReferenceEquals(_authentication, sent))
                    throw TurnException.CredentialsRefused(Server, error, _credentials, _scheduler.Now);
                if (challenges >= MaxChallenges)
                    throw TurnException.Refused(Server, what, error);
                var key = _authentication is { } known && known.Realm == realm ? known.Key : _credentials.LongTermKey(realm);
                _authentication = new Authentication(realm, nonce, key);
            }
        }
    }

    private Task<StunMessage> StartTransaction(ushort method, StunTransactionId id, byte[] request, byte[]? key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        var transaction = new Transaction(this, id, method, request, key, cancellationToken);
        lock (_gate)
            _pending.Add(id, transaction);
        transaction.Start();
        return transaction.Task;
    }

    private bool HandleResponse(StunMessage message)
    {
        Transaction? transaction;
        lock (_gate)
        {
            if (!_pending.TryGetValue(message.TransactionId, out transaction))
                return _finished.Contains(message.TransactionId) || Drop(TurnDropReason.UnknownTransaction);
        }

        if (message.Type.Method != transaction.Method)
            return Drop(TurnDropReason.Unexpected);

        // RFC 8489 §9.2.5: a response to a signed request counts only when its MESSAGE-INTEGRITY verifies with the
        // request's key; 401 and 438 are the exception (they carry the REALM and NONCE to make the key from). The first,
        // unsigned request has no key: only an error can answer it (coturn's 401, or 437 for a 5-tuple that already has
        // an allocation), which can only fail it or make us ask again; a success is never taken without integrity.
        var error = message.Type.Class == StunClass.ErrorResponse;
        var challenge = error && message.ErrorCode?.Code is StunErrorCode.Unauthenticated or StunErrorCode.StaleNonce;
        var authentic = transaction.Key is { } key ? message.VerifyMessageIntegrity(key) : error;
        if (!challenge && !authentic)
            return Drop(TurnDropReason.BadIntegrity);

        transaction.Complete(message);
        return true;
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

    private sealed class Transaction
    {
        private readonly TurnClient _client;
        private readonly byte[] _request;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<StunMessage> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SerialDisposable _timer = new(); // the one pending timer: the next retransmission or the final wait
        private CancellationTokenRegistration _registration;
        private CancellationTokenRegistration _disposal;
        private int _sent;
        private TimeSpan _rto;

        public Transaction(TurnClient client, StunTransactionId id, ushort method, byte[] request, byte[]? key, CancellationToken cancellationToken)
        {
            _client = client;
            Id = id;
            Method = method;
            Key = key;
            _request = request;
            _cancellationToken = cancellationToken;
            _rto = client._options.Retransmission.InitialRto;
        }

        public StunTransactionId Id { get; }

        public ushort Method { get; }

        /// <summary>The key the request was signed with; the response must verify with it. Null for the first, unsigned request.</summary>
        public byte[]? Key { get; }

        public Task<StunMessage> Task => _result.Task;

        public void Start()
        {
            _registration = _cancellationToken.Register(() =>
            {
                if (_result.TrySetCanceled(_cancellationToken))
                    Cleanup();
            });
            _disposal = _client._disposing.Token.Register(() =>
            {
                if (_result.TrySetException(new ObjectDisposedException(nameof(TurnClient))))
                    Cleanup();
            });
            SendNext();
        }

        public void Complete(StunMessage response)
        {
            if (_result.TrySetResult(response))
                Cleanup();
        }

        private void SendNext()
        {
            if (_result.Task.IsCompleted)
                return;
            var options = _client._options.Retransmission;
            _sent++;
            _ = SendAsync();
            if (_sent < options.MaxRequests)
            {
                var wait = _rto;
                _rto = new Backoff(options.InitialRto, TimeSpan.MaxValue).Next(_rto); // RFC 8489 §6.2.1: doubling, uncapped
                _timer.Disposable = _client._scheduler.Schedule(wait, SendNext);
            }
            else
            {
                _timer.Disposable = _client._scheduler.Schedule(options.InitialRto * options.LastWaitFactor, () =>
                {
                    if (_result.TrySetException(TurnException.NoAnswer(_client.Server, options.TransactionTimeout)))
                        Cleanup();
                });
            }
        }

        private async Task SendAsync()
        {
            try
            {
                await _client._send(_request, _client.Server, _cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (TransportErrors.IsLostDatagram(ex))
            {
                // A lost request: the retransmission covers it, and cancellation is reported by Start's registration.
            }
        }

        private void Cleanup()
        {
            _timer.Dispose();
            _registration.Dispose();
            _disposal.Dispose();
            _client.Finish(Id);
        }
    }
}
