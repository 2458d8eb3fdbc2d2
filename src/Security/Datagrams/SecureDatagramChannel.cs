using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Security.Cryptography;
using SecretChat.Framing.Packets;
using SecretChat.Transport;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// One sealed session over datagrams: the hello and the mode's handshake carried in handshake packets
/// and retransmitted until answered, then every payload sealed under an explicit, never reused counter
/// and checked against a sliding replay window. Transport-agnostic: it sends through a delegate and is
/// fed inbound datagrams through <see cref="Receive(IPEndPoint, ReadOnlySpan{byte})"/>.
/// </summary>
/// <remarks>
/// <para>Inbound datagrams that are malformed, unauthenticated, replayed, too old, too far ahead, for
/// another session or from a stranger are dropped silently and counted in <see cref="Statistics"/>; they
/// change no state. Only an authenticated data packet moves <see cref="RemoteEndPoint"/> (roaming; a
/// path manager may decide otherwise through an <see cref="IPathPolicy"/>). A reject is honoured only during the handshake.</para>
/// <para>Thread-safety: <see cref="Receive(IPEndPoint, ReadOnlySpan{byte})"/>, <see cref="SendAsync"/>, the timers and disposal may run on
/// any threads; the channel serialises them with one lock and emits <see cref="Payloads"/> under it, so an
/// observer may call <see cref="SendAsync"/> from <c>OnNext</c> but must not block there on another thread
/// that uses the channel. The send delegate is called under that lock for handshake packets: it must not
/// block (a UDP send does not).</para>
/// <para>Its jobs, one per file: the handshake (<c>.Handshake.cs</c>) and its flights and timers (<c>.Retransmit.cs</c>), sealing (<c>.Seal.cs</c>), opening and replay
/// checks (<c>.Open.cs</c>), paths and probes (<c>.Paths.cs</c>), and the payloads' one subscriber (<see cref="PayloadOutlet"/>).</para>
/// <para>The channel owns the <see cref="SecureSession"/> it hands out through <see cref="Established"/> and
/// wipes its keys when the session ends or the channel is disposed.</para>
/// </remarks>
public sealed partial class SecureDatagramChannel : IDisposable, IAsyncDisposable
{
    private enum Phase
    {
        /// <summary>A responder waiting for the first peer's hello.</summary>
        Listening,
        Handshaking,
        Established,
        Closed,
    }

    private readonly Lock _gate = new();
    private readonly ISecurityModule _security;
    private readonly SendDatagram _send;
    private readonly DatagramChannelOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ProtocolHello _localHello;
    private readonly HandshakeTranscript _transcript;
    private readonly TaskCompletionSource<SecureSession> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long[] _dropped = new long[Enum.GetValues<DatagramDropReason>().Length];
    private Phase _phase;
    private IPEndPoint? _remote;
    private readonly PayloadOutlet _payloads = new(MaxEarlyPayloads);
    private Exception? _terminalError;
    private long _received;
    private long _delivered;
    private long _sent;
    private long _retransmitted;
    private long _roamed;
    private long _sendFailures;

    private SecureDatagramChannel(
        HandshakeRole role,
        ISecurityModule security,
        IPEndPoint? peer,
        SendDatagram send,
        DatagramChannelOptions options,
        IScheduler scheduler)
    {
        Role = role;
        _security = security;
        _remote = peer;
        _send = send;
        _options = options;
        _scheduler = scheduler;
        _localHello = ProtocolHello.Local(security, role);
        _transcript = new HandshakeTranscript(role);
        LocalSessionId = options.SessionIds?.Invoke() ?? BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(sizeof(uint)));
        Payloads = Observable.Create<ReadOnlyMemory<byte>>(observer =>
        {
            lock (_gate)
            {
                if (!_payloads.Attach(observer))
                    return Disposable.Empty;
            }
            return Disposable.Create(() =>
            {
                lock (_gate)
                    _payloads.Detach(observer);
            });
        });
    }

    /// <summary>
    /// Starts a handshake as the initiator with <paramref name="peer"/>: the hello goes out at once and is
    /// retransmitted until the peer answers or <see cref="DatagramChannelOptions.HandshakeTimeout"/> passes.
    /// </summary>
    public static SecureDatagramChannel Connect(
        ISecurityModule security,
        IPEndPoint peer,
        SendDatagram send,
        DatagramChannelOptions? options = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(send);
        options ??= DatagramChannelOptions.Default;
        options.Validate();
        var channel = new SecureDatagramChannel(HandshakeRole.Initiator, security, peer, send, options, scheduler ?? DefaultScheduler.Instance);
        channel.StartAsInitiator();
        return channel;
    }

    /// <summary>
    /// Waits, as the responder, for the first peer whose hello arrives and runs the handshake with it;
    /// hellos from other addresses are ignored from then on (one session at a time).
    /// </summary>
    public static SecureDatagramChannel Accept(
        ISecurityModule security,
        SendDatagram send,
        DatagramChannelOptions? options = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(send);
        options ??= DatagramChannelOptions.Default;
        options.Validate();
        return new SecureDatagramChannel(HandshakeRole.Responder, security, null, send, options, scheduler ?? DefaultScheduler.Instance);
    }

    /// <summary>Whether this side started the handshake (<c>Connect</c>) or answered it (<c>Accept</c>).</summary>
    public HandshakeRole Role { get; }

    /// <summary>This side's random session id: the peer puts it in every data packet it sends here.</summary>
    public uint LocalSessionId { get; }

    /// <summary>
    /// Authenticated payloads, each valid only during its <c>OnNext</c> (copy to keep). One subscriber at a
    /// time; subscribe before feeding datagrams, since payloads that arrive with no subscriber are dropped.
    /// Fails with <see cref="HandshakeException"/> when the handshake fails, with a <see cref="PeerRestartedException"/>
    /// when a second handshake from the peer's address authenticated the same peer anew (see <see cref="TakeSuccessor"/>), with <see cref="NonceExhaustedException"/> when this side's
    /// counter runs out; completes when the channel is disposed.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> Payloads { get; }

    /// <summary>Completes with the session once the handshake completes on this side; fails with a <see cref="HandshakeException"/>.</summary>
    public Task<SecureSession> Established => _established.Task;

    /// <summary>The peer's current address (null while a responder still listens); it follows authenticated packets only.</summary>
    public IPEndPoint? RemoteEndPoint
    {
        get
        {
            lock (_gate)
                return _remote;
        }
    }

    /// <summary>The largest payload <see cref="SendAsync"/> accepts: one datagram minus the header and the tag.</summary>
    public int MaxPayloadSize
    {
        get
        {
            lock (_gate)
                return PacketCodec.MaxDatagramSize - PacketCodec.DataHeaderSize - (_session?.Sender.TagSize ?? 16);
        }
    }

    /// <summary>A snapshot of what the channel has received, delivered, sent and dropped so far.</summary>
    public DatagramStatistics Statistics
    {
        get
        {
            lock (_gate)
                return new DatagramStatistics(_received, _delivered, _sent, _retransmitted, _roamed, _sendFailures, (long[])_dropped.Clone());
        }
    }

    /// <summary>
    /// Feeds one inbound datagram from <paramref name="from"/>; <paramref name="datagram"/> need only stay
    /// valid during the call. Never throws for what the network sends (bad datagrams are counted and dropped).
    /// </summary>
    public void Receive(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (PacketCodec.TryDecode(datagram, out var header, out _, out var error))
        {
            Receive(from, header, datagram);
            return;
        }
        lock (_gate)
        {
            _received++;
            if (_phase != Phase.Closed)
                Drop(error == PacketError.UnknownType ? DatagramDropReason.UnknownType : DatagramDropReason.Malformed);
        }
    }

    /// <summary>
    /// Feeds one inbound packet whose <paramref name="header"/> the caller already decoded from <paramref name="datagram"/>
    /// (the whole datagram, header included: a data packet's header is its associated data). As <see cref="Receive(IPEndPoint, ReadOnlySpan{byte})"/> otherwise.
    /// </summary>
    public void Receive(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(from);
        // A hello of a new session, and the packets of the second handshake it started, go to that handshake (.Restart.cs).
        if (TryRouteToSecondHandshake(from, header, datagram))
            return;
        lock (_gate)
        {
            _received++;
            if (_phase == Phase.Closed)
                return;
            var body = datagram[header.Size..];
            switch (header.Type)
            {
                case PacketType.Handshake:
                    OnHandshakePacket(from, header, body);
                    break;
                case PacketType.Data:
                    OnDataPacket(from, header, datagram[..PacketCodec.DataHeaderSize], body);
                    break;
                case PacketType.Reject:
                    OnRejectPacket(from, header, body);
                    break;
                case PacketType.InitiatorHello:
                    // The cookie is the listener's business (it checked it before feeding us); the hello is message 0.
                    OnHandshakePacket(from, PacketHeader.Handshake(header.SessionId, 0), body[PacketCodec.CookieSize..]);
                    break;
                case PacketType.Cookie:
                    OnCookiePacket(from, header, body);
                    break;
            }
        }
    }

    /// <summary>Stops the timers, wipes the keys and completes <see cref="Payloads"/>; later datagrams are ignored.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            // An ended channel may still hand packets on to its successor (a restarted peer's session): that stops here.
            DisposeUntakenSuccessor();
            if (_phase == Phase.Closed)
                return;
            _phase = Phase.Closed;
            StopHandshake();
            DisposeSession();
            EndSecondHandshake();
            _established.TrySetCanceled();
            _payloads.End(null);
        }
    }

    /// <summary>Disposes the channel as <see cref="Dispose()"/> does; completes synchronously.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Ends the channel with <paramref name="error"/> (a failed handshake or an ended session). Under the lock.</summary>
    private void Terminate(Exception error)
    {
        if (_phase == Phase.Closed)
            return;
        _phase = Phase.Closed;
        _terminalError = error;
        StopHandshake();
        DisposeSession();
        EndSecondHandshake();
        _established.TrySetException(error);
        _payloads.End(error);
    }

    private void Drop(DatagramDropReason reason) => _dropped[(int)reason]++;

    /// <summary>Hands a packet to the transport; a failed send is a lost datagram (the handshake retransmits). Under the lock.</summary>
    private void SendPacket(byte[] packet)
    {
        _sent++;
        ValueTask sending;
        try
        {
            sending = _send(packet, _remote!, CancellationToken.None);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            _sendFailures++;
            return;
        }
        if (!sending.IsCompletedSuccessfully)
            _ = ObserveSend(sending);
    }

    private async Task ObserveSend(ValueTask sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            Interlocked.Increment(ref _sendFailures);
        }
    }
}
