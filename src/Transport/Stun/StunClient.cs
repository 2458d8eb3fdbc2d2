using System.Net;
using System.Reactive.Concurrency;

namespace SecretChat.Transport.Stun;

/// <summary>
/// Sends Binding requests and retransmits them per RFC 8489 §6.2.1 on an <see cref="IScheduler"/>. It owns no socket:
/// it sends through a <see cref="SendDatagram"/> and the owner of the socket feeds it datagrams with <see cref="TryHandle"/>.
/// </summary>
public sealed class StunClient
{
    private readonly StunClientOptions _options;
    private readonly StunTransactions<StunBinding> _transactions;

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
        _options = options;
        _transactions = new StunTransactions<StunBinding>(
            send, scheduler, options,
            timedOut: static (server, waited) => new StunTimeoutException(Describe(server), waited),
            sendFailed: static (ex, server) => new IOException($"could not send a STUN request to {Describe(server)}: {ex.Message}", ex));
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
        return _transactions.Start(id, builder.AddFingerprint().ToArray(), server, null, cancellationToken);
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
        if (_transactions.Find(id, out var finished) is not { } transaction)
            return finished; // a duplicate answer: consumed, never passed on to other protocols

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
}
