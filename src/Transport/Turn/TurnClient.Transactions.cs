using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>Requests: long-term authentication (RFC 8489 §9.2) and matching responses; retransmission (§6.2.1) is the shared <see cref="StunTransactions{TResult}"/>.</summary>
public sealed partial class TurnClient
{
    private StunTransactions<StunMessage> NewTransactions(SendDatagram send) => new(
        send, _scheduler, _options.Retransmission,
        timedOut: TurnException.NoAnswer,
        sendFailed: static (_, _) => null, // a lost request: the retransmission covers it
        closing: _disposing.Token,
        closed: static () => new ObjectDisposedException(nameof(TurnClient)));

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
        return _transactions.Start(id, request, Server, new Sent(method, key), cancellationToken);
    }

    private bool HandleResponse(StunMessage message)
    {
        if (_transactions.Find(message.TransactionId, out var finished) is not { State: Sent sent } transaction)
            return finished || Drop(TurnDropReason.UnknownTransaction);

        if (message.Type.Method != sent.Method)
            return Drop(TurnDropReason.Unexpected);

        // RFC 8489 §9.2.5: a response to a signed request counts only when its MESSAGE-INTEGRITY verifies with the
        // request's key; 401 and 438 are the exception (they carry the REALM and NONCE to make the key from). The first,
        // unsigned request has no key: only an error can answer it (coturn's 401, or 437 for a 5-tuple that already has
        // an allocation), which can only fail it or make us ask again; a success is never taken without integrity.
        var error = message.Type.Class == StunClass.ErrorResponse;
        var challenge = error && message.ErrorCode?.Code is StunErrorCode.Unauthenticated or StunErrorCode.StaleNonce;
        var authentic = sent.Key is { } key ? message.VerifyMessageIntegrity(key) : error;
        if (!challenge && !authentic)
            return Drop(TurnDropReason.BadIntegrity);

        transaction.Complete(message);
        return true;
    }

    /// <summary>What a request was: its method, and the key it was signed with (the response must verify with it; null for the first, unsigned request).</summary>
    private sealed record Sent(ushort Method, byte[]? Key);
}
