using System.Buffers;
using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>
/// A TURN client over UDP (RFC 8656): Allocate with long-term credentials, Refresh, CreatePermission, ChannelBind,
/// ChannelData and Send/Data indications. Like <see cref="StunClient"/> it owns no socket: it sends through a
/// <see cref="SendDatagram"/>, and the owner of the socket offers it every datagram with <see cref="TryHandle"/>.
/// It keeps what it holds alive (the allocation, permissions and channels), timed on the injected
/// <see cref="IScheduler"/>, until it is disposed, which deallocates.
/// </summary>
/// <remarks>
/// Only datagrams from <see cref="Server"/> are read as TURN: ChannelData's first byte (0x40–0x4F) overlaps other
/// protocols on the same port, so the source address is what tells TURN traffic apart. Responses count only when
/// their transaction id is outstanding and their MESSAGE-INTEGRITY verifies with the key (401 and 438 challenges
/// excepted, as RFC 8489 §9.2.5 says); ChannelData only on channels this client bound; Data indications only from
/// peers it permitted. Everything else from the server is counted by <see cref="TurnDropReason"/> and dropped.
/// </remarks>
public sealed partial class TurnClient : IAsyncDisposable
{
    /// <summary>The IP protocol number of UDP, the only transport this client asks the relay for.</summary>
    private const byte Udp = 17;

    /// <summary>How many 401/438 challenges one request answers before it gives up (a server that keeps changing its nonce).</summary>
    private const int MaxChallenges = 3;

    /// <summary>The lifetime RFC 8656 §7.2 gives an allocation whose response has no LIFETIME.</summary>
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private readonly TurnCredentials _credentials;
    private readonly SendDatagram _send;
    private readonly IScheduler _scheduler;
    private readonly StunTransactions<StunMessage> _transactions;
    private readonly TurnClientOptions _options;
    private readonly Lock _gate = new();
    private readonly SerialDisposable _allocationRefresh = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource<TurnException?> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<IPEndPoint, PeerBinding> _peers = [];
    private readonly Dictionary<ushort, PeerBinding> _channels = [];
    private readonly Dictionary<IPAddress, int> _permitted = [];
    private readonly long[] _drops = new long[Enum.GetValues<TurnDropReason>().Length];
    private Authentication? _authentication;
    private ushort _nextChannel = TurnChannelData.FirstChannel;
    private bool _allocating;
    private int _disposed;
    private int _lostOnce;

    /// <summary>A client of the TURN server at <paramref name="server"/> that authenticates with <paramref name="credentials"/>.</summary>
    /// <param name="server">The TURN server's UDP address; only datagrams from it are read as TURN.</param>
    /// <param name="credentials">The long-term credentials (see <see cref="TurnCredentials.FromSharedSecret(string, string, DateTimeOffset)"/>).</param>
    /// <param name="send">Sends one datagram: the owner of the socket implements it.</param>
    /// <param name="scheduler">Times retransmissions and refreshes.</param>
    /// <param name="options">Timing; the RFC's when null.</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds an invalid value.</exception>
    public TurnClient(IPEndPoint server, TurnCredentials credentials, SendDatagram send, IScheduler scheduler, TurnClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(scheduler);
        options ??= new TurnClientOptions();
        options.Validate();
        Server = StunAddress.Normalize(server);
        _credentials = credentials;
        _send = send;
        _scheduler = scheduler;
        _options = options;
        _transactions = NewTransactions(send);
    }

    /// <summary>The TURN server's address.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The relayed address the server allocated (XOR-RELAYED-ADDRESS), or <see langword="null"/> before <see cref="AllocateAsync"/>.</summary>
    public IPEndPoint? RelayedAddress { get; private set; }

    /// <summary>This client's address as the TURN server saw it (XOR-MAPPED-ADDRESS of the Allocate response), if it said.</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>Whether the server confirmed the deallocation that <see cref="DisposeAsync"/> sent (tests look).</summary>
    internal bool DeallocationConfirmed { get; private set; }

    private readonly List<Task> _refreshes = [];

    /// <summary>Completes when every refresh started so far (allocation, permission, channel) has: tests wait for it in virtual time.</summary>
    internal Task RefreshesSettled
    {
        get
        {
            lock (_gate)
            {
                _refreshes.RemoveAll(t => t.IsCompleted);
                return Task.WhenAll(_refreshes);
            }
        }
    }

    private void Track(Task refresh)
    {
        lock (_gate)
        {
            _refreshes.RemoveAll(t => t.IsCompleted);
            _refreshes.Add(refresh);
        }
    }

    /// <summary>The timing this client uses.</summary>
    public TurnClientOptions Options => _options;

    /// <summary>
    /// Completes when the allocation ends: with <see langword="null"/> when this client is disposed, with the reason when
    /// the server stopped keeping it (a Refresh was refused or went unanswered). Never faults.
    /// </summary>
    public Task<TurnException?> Lost => _lost.Task;

    /// <summary>Datagrams from the server that were dropped, all reasons together.</summary>
    public long DroppedDatagrams
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _drops.Length; i++)
                total += Interlocked.Read(ref _drops[i]);
            return total;
        }
    }

    /// <summary>Datagrams from the server dropped for <paramref name="reason"/>.</summary>
    public long Dropped(TurnDropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>
    /// Allocates a relayed UDP address: an Allocate request (REQUESTED-TRANSPORT 17), answering the server's 401 with the
    /// credentials for its REALM and NONCE (and a 438 with the new NONCE). The allocation is refreshed before its
    /// LIFETIME runs out until this client is disposed.
    /// </summary>
    /// <returns>The relayed address peers send to.</returns>
    /// <exception cref="TurnException">The server refused (credentials, quota, transport) or did not answer: the message says which.</exception>
    /// <exception cref="InvalidOperationException">This client already allocated (or is allocating).</exception>
    /// <exception cref="ObjectDisposedException">This client is disposed.</exception>
    public async Task<IPEndPoint> AllocateAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            if (_allocating)
                throw new InvalidOperationException("This TURN client already has an allocation; create another client for another.");
            _allocating = true;
        }

        try
        {
            var response = await RequestAsync(StunMessageType.AllocateMethod, static b => b.AddRequestedTransport(Udp), "the allocation", cancellationToken)
                .ConfigureAwait(false);
            var relayed = response.XorRelayedAddress
                ?? throw TurnException.Protocol(Server, "the allocation without XOR-RELAYED-ADDRESS");
            lock (_gate)
            {
                RelayedAddress = relayed;
                MappedAddress = response.XorMappedAddress;
            }

            ScheduleAllocationRefresh(response.Lifetime ?? DefaultLifetime);
            return relayed;
        }
        catch
        {
            lock (_gate)
                _allocating = false;
            throw;
        }
    }

    /// <summary>
    /// Lets <paramref name="peer"/> send through the relay: CreatePermission for its address, then ChannelBind of a
    /// channel to it, so <see cref="SendAsync"/> uses ChannelData. Both are refreshed before they expire (300 s and
    /// 600 s) until this client is disposed. Permitting a peer again re-issues both and keeps its channel.
    /// </summary>
    /// <exception cref="TurnException">The server refused or did not answer: the message says which.</exception>
    /// <exception cref="InvalidOperationException">There is no allocation yet, or all 4096 channels are bound.</exception>
    /// <exception cref="ObjectDisposedException">This client is disposed.</exception>
    public Task PermitAsync(IPEndPoint peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer); // at call time, not in the task
        return PermitAsync(peer, bindChannel: true, cancellationToken);
    }

    /// <summary>
    /// <see cref="PermitAsync(IPEndPoint, CancellationToken)"/>, or only its CreatePermission when
    /// <paramref name="bindChannel"/> is false (then datagrams go as Send and Data indications): tests use it.
    /// </summary>
    internal async Task PermitAsync(IPEndPoint peer, bool bindChannel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        peer = StunAddress.Normalize(peer);
        PeerBinding binding;
        lock (_gate)
        {
            if (RelayedAddress is null)
                throw new InvalidOperationException("Allocate before permitting peers.");
            if (!_peers.TryGetValue(peer, out binding!))
            {
                if (_nextChannel > TurnChannelData.LastChannel)
                    throw new InvalidOperationException("All 4096 TURN channels of this allocation are bound.");
                binding = new PeerBinding(peer, _nextChannel++);
                _peers.Add(peer, binding);
                _channels.Add(binding.Channel, binding);
                _permitted[peer.Address] = _permitted.GetValueOrDefault(peer.Address) + 1;
            }
        }

        await CreatePermissionAsync(binding, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) == 0)
                binding.PermissionRefresh.Disposable ??= _scheduler.SchedulePeriodic(_options.PermissionRefreshInterval, () => Refresh(binding, channel: false));
        }

        if (!bindChannel)
            return;
        await ChannelBindAsync(binding, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            binding.Bound = true;
            if (Volatile.Read(ref _disposed) == 0)
                binding.ChannelRefresh.Disposable ??= _scheduler.SchedulePeriodic(_options.ChannelRefreshInterval, () => Refresh(binding, channel: true));
        }
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="peer"/> through the relay: as ChannelData once its channel is
    /// bound, as a Send indication before. The server drops it unless <paramref name="peer"/> is permitted.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="payload"/> is longer than 65535 bytes.</exception>
    /// <exception cref="InvalidOperationException">There is no allocation yet.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, IPEndPoint peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (payload.Length > TurnChannelData.MaxDataLength)
            throw new ArgumentException($"A datagram through TURN is at most {TurnChannelData.MaxDataLength} bytes.", nameof(payload));
        peer = StunAddress.Normalize(peer);
        ushort? channel;
        lock (_gate)
        {
            if (RelayedAddress is null)
                throw new InvalidOperationException("Allocate before sending through the relay.");
            channel = _peers.TryGetValue(peer, out var binding) && binding.Bound ? binding.Channel : null;
        }

        if (channel is { } number)
            return SendChannelDataAsync(number, payload, cancellationToken);
        var indication = new StunMessageBuilder(new StunMessageType(StunMessageType.SendMethod, StunClass.Indication), StunTransactionId.New())
            .AddXorPeerAddress(peer)
            .AddData(payload.Span)
            .ToArray();
        return _send(indication, Server, cancellationToken);
    }

    private async ValueTask SendChannelDataAsync(ushort channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        // The relayed path carries every datagram of a session: a pooled buffer, not one allocation per datagram.
        var buffer = ArrayPool<byte>.Shared.Rent(TurnChannelData.HeaderLength + payload.Length);
        try
        {
            var length = TurnChannelData.Encode(channel, payload.Span, buffer);
            await _send(buffer.AsMemory(0, length), Server, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Offers an inbound datagram. False when it is not this client's to read: it came from another address than
    /// <see cref="Server"/>, or it is a STUN Binding message (the owner's STUN client may be waiting for it). True when it
    /// was consumed; then <paramref name="delivery"/> holds a peer's datagram if it carried one (ChannelData on a bound
    /// channel, a Data indication from a permitted peer). Never throws for what the datagram holds: anything malformed
    /// or unexpected is counted (<see cref="Dropped"/>) and consumed.
    /// </summary>
    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from, out TurnDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(from);
        delivery = default;
        if (!StunAddress.Normalize(from).Equals(Server))
            return false;

        if (TurnChannelData.IsChannelData(datagram))
        {
            if (!TurnChannelData.TryDecode(datagram, out var channel, out var data))
                return Drop(TurnDropReason.Malformed);
            PeerBinding? binding;
            lock (_gate)
                _channels.TryGetValue(channel, out binding);
            if (binding is null)
                return Drop(TurnDropReason.UnboundChannel);
            delivery = new TurnDelivery(binding.Peer, data);
            return true;
        }

        if (!StunMessage.IsStun(datagram))
            return Drop(TurnDropReason.Malformed);
        if (StunMessageType.FromValue(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(datagram)).Method == StunMessageType.BindingMethod)
            return false;
        if (!StunMessage.TryParse(datagram, out var message) || (message.HasFingerprint && !message.VerifyFingerprint()))
            return Drop(TurnDropReason.Malformed);

        switch (message.Type.Class)
        {
            case StunClass.Indication when message.Type.Method == StunMessageType.DataMethod:
                return HandleData(message, out delivery);
            case StunClass.SuccessResponse or StunClass.ErrorResponse:
                return HandleResponse(message);
            default:
                return Drop(TurnDropReason.Unexpected);
        }
    }

    /// <summary>
    /// Ends the allocation: stops the refreshes and sends a Refresh with LIFETIME 0, waiting at most
    /// <see cref="TurnClientOptions.DeallocateTimeout"/> for the server to confirm. Pending requests fail.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _allocationRefresh.Dispose();
        bool allocated;
        lock (_gate)
        {
            foreach (var binding in _peers.Values)
            {
                binding.PermissionRefresh.Dispose();
                binding.ChannelRefresh.Dispose();
            }

            allocated = RelayedAddress is not null && Volatile.Read(ref _lostOnce) == 0;
        }

        if (allocated)
        {
            using var timeout = new CancellationTokenSource();
            using (_scheduler.Schedule(_options.DeallocateTimeout, timeout.Cancel))
            {
                try
                {
                    await RequestAsync(StunMessageType.RefreshMethod, static b => b.AddLifetime(TimeSpan.Zero), "the deallocation", timeout.Token)
                        .ConfigureAwait(false);
                    DeallocationConfirmed = true;
                }
                catch (Exception ex) when (ex is TurnException or OperationCanceledException)
                {
                    // The server forgets the allocation when its lifetime runs out anyway.
                }
            }
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _lostOnce, 1) == 0)
            _lost.TrySetResult(null);
    }

    private bool HandleData(StunMessage message, out TurnDelivery delivery)
    {
        delivery = default;
        if (message.XorPeerAddress is not { } peer || message.Data is not { } data)
            return Drop(TurnDropReason.Malformed);
        peer = StunAddress.Normalize(peer);
        bool permitted;
        lock (_gate)
            permitted = _permitted.ContainsKey(peer.Address);
        if (!permitted)
            return Drop(TurnDropReason.UnpermittedPeer);
        delivery = new TurnDelivery(peer, data.Span);
        return true;
    }

    private bool Drop(TurnDropReason reason)
    {
        Interlocked.Increment(ref _drops[(int)reason]);
        return true;
    }

    private void ScheduleAllocationRefresh(TimeSpan lifetime)
    {
        var margin = _options.AllocationRefreshMargin;
        var wait = lifetime > margin * 2 ? lifetime - margin : lifetime / 2;
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) == 0)
                _allocationRefresh.Disposable = _scheduler.Schedule(wait, () => Track(RefreshAllocationAsync()));
        }
    }

    private async Task RefreshAllocationAsync()
    {
        try
        {
            var response = await RequestAsync(StunMessageType.RefreshMethod, static _ => { }, "the allocation's refresh", _disposing.Token)
                .ConfigureAwait(false);
            ScheduleAllocationRefresh(response.Lifetime ?? DefaultLifetime);
        }
        catch (Exception ex) when (Volatile.Read(ref _disposed) != 0 && ex is OperationCanceledException or ObjectDisposedException or TurnException)
        {
        }
        catch (TurnException ex)
        {
            MarkLost(ex);
        }
    }

    /// <summary>The server no longer keeps the allocation: say why once, and stop refreshing what hung on it.</summary>
    private void MarkLost(TurnException reason)
    {
        if (Interlocked.Exchange(ref _lostOnce, 1) != 0)
            return;
        _allocationRefresh.Dispose();
        lock (_gate)
        {
            foreach (var binding in _peers.Values)
            {
                binding.PermissionRefresh.Dispose();
                binding.ChannelRefresh.Dispose();
            }
        }

        _lost.TrySetResult(reason); // last: whoever awaits Lost finds the timers already stopped
    }

    private Task CreatePermissionAsync(PeerBinding binding, CancellationToken cancellationToken) =>
        RequestAsync(StunMessageType.CreatePermissionMethod, b => b.AddXorPeerAddress(binding.Peer), $"a permission for {binding.Peer.Address}", cancellationToken);

    private Task ChannelBindAsync(PeerBinding binding, CancellationToken cancellationToken) =>
        RequestAsync(StunMessageType.ChannelBindMethod, b => b.AddChannelNumber(binding.Channel).AddXorPeerAddress(binding.Peer), $"a channel to {binding.Peer}", cancellationToken);

    private void Refresh(PeerBinding binding, bool channel) => Track(RefreshAsync(binding, channel));

    private async Task RefreshAsync(PeerBinding binding, bool channel)
    {
        try
        {
            if (channel)
                await ChannelBindAsync(binding, _disposing.Token).ConfigureAwait(false);
            else
                await CreatePermissionAsync(binding, _disposing.Token).ConfigureAwait(false);
        }
        catch (TurnException ex) when (ex.Error?.Code == StunErrorCode.AllocationMismatch)
        {
            MarkLost(ex); // the allocation itself is gone
        }
        catch (Exception ex) when (ex is TurnException or OperationCanceledException or ObjectDisposedException)
        {
            // The next period tries again; a permission missed once only loses datagrams until then.
        }
    }

    private sealed class PeerBinding(IPEndPoint peer, ushort channel)
    {
        public IPEndPoint Peer { get; } = peer;

        public ushort Channel { get; } = channel;

        /// <summary>The server confirmed the ChannelBind: ChannelData may go out.</summary>
        public bool Bound { get; set; }

        public SerialDisposable PermissionRefresh { get; } = new();

        public SerialDisposable ChannelRefresh { get; } = new();
    }

    private sealed record Authentication(string Realm, string Nonce, byte[] Key);
}
