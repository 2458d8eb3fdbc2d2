using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Transport;
using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>
/// Netcheck-style mapping detection on the session's own socket, and the exchange of its result with the peer.
/// The first signaling server already told us where it sees us (<see cref="PeerMatch.ReflexiveAddress"/>); a STUN
/// binding request to a second destination (the next signaling server of the list, another port or host) tells
/// whether the NAT kept that port toward it (easy) or chose a new one (hard). The result goes to the peer through the
/// relay as a <see cref="MappingNotice"/>, and the peer's comes back the same way.
/// </summary>
/// <remarks>
/// With a single signaling server the mapping stays <see cref="NatMappingKind.Unknown"/> and nothing is sent: the wire
/// is then what it was before. Bounded: <see cref="StunTries"/> requests, <see cref="NoticeSends"/> notices plus one
/// answer to the peer's. The notice only carries the peer's word (the relay checks its member token, nothing more): a
/// lie can only make us run the bounded birthday probing toward the peer's own public address.
/// </remarks>
internal sealed class MappingExchange : IDisposable
{
    public const int StunTries = 3;
    public const int NoticeSends = 3;
    public static readonly TimeSpan StunRetry = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan StunGiveUp = TimeSpan.FromMilliseconds(1500);
    public static readonly TimeSpan NoticeRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>28 bytes (no padding): the request is then 52 bytes.</summary>
    private const string Software = "SecretChat NAT mapping probe";

    private readonly SendDatagram _send;
    private readonly Func<ReadOnlyMemory<byte>, ValueTask> _relay;
    private readonly IScheduler _scheduler;
    private readonly Lock _gate = new();
    private readonly CompositeDisposable _timers = [];
    private readonly TaskCompletionSource<NatMappingKind> _local = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<NatMappingKind> _peer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPEndPoint? _asked;
    private IPEndPoint? _firstMapped;
    private IReadOnlyList<IPEndPoint> _hosts = [];
    private StunTransactionId _transaction;
    private byte[]? _request;
    private bool _answered;
    private bool _disposed;

    /// <param name="send">Sends straight out of the session's socket.</param>
    /// <param name="relay">Sends a payload to the peer through the signaling server's relay.</param>
    /// <param name="scheduler">The clock of the retries.</param>
    public MappingExchange(SendDatagram send, Func<ReadOnlyMemory<byte>, ValueTask> relay, IScheduler scheduler)
    {
        _send = send;
        _relay = relay;
        _scheduler = scheduler;
    }

    /// <summary>Our NAT's mapping, once learned (Unknown when it cannot be).</summary>
    public Task<NatMappingKind> Local => _local.Task;

    /// <summary>The peer's NAT mapping, as its notice said (never completes without one).</summary>
    public Task<NatMappingKind> Peer => _peer.Task;

    /// <summary>STUN requests sent, and notices sent (for the bounds).</summary>
    public int StunSent { get; private set; }

    /// <inheritdoc cref="StunSent"/>
    public int NoticesSent { get; private set; }

    /// <summary>
    /// Starts detection: asks <paramref name="second"/> (null: no second destination, the mapping stays unknown) where it
    /// sees us, and compares with <paramref name="firstMapped"/>, where the first server saw us.
    /// </summary>
    /// <param name="firstMapped">Our reflexive address as the first server saw it.</param>
    /// <param name="second">A second STUN destination (another signaling server or port), or null.</param>
    /// <param name="hosts">Our host candidates: a mapped address among them means no NAT.</param>
    public void Start(IPEndPoint firstMapped, IPEndPoint? second, IReadOnlyList<IPEndPoint> hosts)
    {
        if (second is null || PlainAddress.Same(second, firstMapped))
        {
            _local.TrySetResult(NatMappingKind.Unknown);
            return;
        }
        lock (_gate)
        {
            if (_disposed || _asked is not null)
                return;
            _asked = second;
            _firstMapped = firstMapped;
            _hosts = hosts;
            _transaction = StunTransactionId.New();
            // As large as the answer (52 bytes at most, IPv6 with a FINGERPRINT): a server that never answers with more
            // than it was sent (the signaling server's rule, docs/PROTOCOL.md §10) answers it.
            _request = new StunMessageBuilder(StunMessageType.BindingRequest, _transaction).AddSoftware(Software).ToArray();
            _timers.Add(_scheduler.Schedule(TimeSpan.Zero, self =>
            {
                if (_local.Task.IsCompleted || StunSent >= StunTries)
                    return;
                StunSent++;
                _send.SendIgnoringLoss(_request, second); // a lost request: the next try, or Unknown after StunGiveUp
                self(StunRetry);
            }));
            _timers.Add(_scheduler.Schedule(StunGiveUp, () => Learned(NatMappingKind.Unknown)));
        }
    }

    /// <summary>A STUN datagram on the session's socket: ours when it answers our request, from where we asked.</summary>
    public bool TryHandleStun(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        IPEndPoint? asked, first;
        lock (_gate)
        {
            asked = _asked;
            first = _firstMapped;
        }
        if (asked is null || first is null || !PlainAddress.Same(from, asked)
            || !StunMessage.TryParse(datagram, out var message) || message.TransactionId != _transaction)
            return false;
        if (message.Type != StunMessageType.BindingSuccess || message.ReflexiveAddress is not { } mapped)
            return true;
        Learned(Classify(first, mapped, _hosts));
        return true;
    }

    /// <summary>A payload the peer relayed: true when it was a notice (taken, or a malformed one dropped).</summary>
    public bool TryHandleNotice(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload[0] != MappingNotice.Type)
            return false;
        if (!MappingNotice.TryDecode(payload, out var kind) || !_peer.TrySetResult(kind))
            return true;
        // The peer may have sent its notice before ours could reach it: answer once.
        bool answer;
        lock (_gate)
        {
            answer = !_answered && _local.Task.IsCompletedSuccessfully && _local.Task.Result != NatMappingKind.Unknown;
            _answered |= answer;
        }
        if (answer)
            Notify(_local.Task.Result);
        return true;
    }

    /// <summary>Where two destinations saw one socket: the same address is one mapping, two addresses one each.</summary>
    public static NatMappingKind Classify(IPEndPoint first, IPEndPoint second, IReadOnlyList<IPEndPoint> hosts)
    {
        if (!PlainAddress.Same(first, second))
            return NatMappingKind.EndpointDependent;
        return hosts.Any(h => PlainAddress.Same(h, first)) ? NatMappingKind.None : NatMappingKind.EndpointIndependent;
    }

    public void Dispose()
    {
        lock (_gate)
            _disposed = true;
        _timers.Dispose();
        _local.TrySetResult(NatMappingKind.Unknown);
    }

    private void Learned(NatMappingKind kind)
    {
        if (!_local.TrySetResult(kind) || kind == NatMappingKind.Unknown)
            return;
        var sent = 0;
        lock (_gate)
        {
            if (_disposed)
                return;
            _timers.Add(_scheduler.Schedule(TimeSpan.Zero, self =>
            {
                if (sent++ >= NoticeSends)
                    return;
                Notify(kind);
                self(NoticeRetry);
            }));
        }
    }

    private void Notify(NatMappingKind kind)
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            NoticesSent++;
        }
        _ = RelayQuietly(MappingNotice.Encode(kind));
    }

    private async Task RelayQuietly(byte[] notice)
    {
        try
        {
            await _relay(notice).ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e) || e is InvalidOperationException)
        {
            // Lost, or the room is gone: the notice is advice, and the session does without it.
        }
    }
}
