using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using SecretChat.Signaling.Rooms;

namespace SecretChat.Signaling;

/// <summary>
/// The rendezvous server on one UDP port: answers STUN Binding requests (RFC 8489) and signaling packets,
/// demultiplexed by their first bytes. One receive loop; replies are sent from it.
/// </summary>
public sealed class SignalingServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Rendezvous _rendezvous;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private readonly AddressBook _addresses;
    private readonly AskedAddressReplies? _asked; // set when replies must leave from the address the client asked at

    private SignalingServer(Socket socket, SignalingServerOptions options, ILogger logger, IScheduler scheduler)
    {
        _socket = socket;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _addresses = new AddressBook(socket.AddressFamily, socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode);
        NodeAddress = options.NodeAddress ?? LocalEndPoint;
        IRoomStore? store = null;
        if (options.Redis is { } redis)
        {
            try
            {
                store = RedisRoomStore.Connect(redis, NodeAddress, options, logger, Send);
            }
            catch (RoomStoreUnavailableException ex)
            {
                throw new SignalingException(ex.Message, ex);
            }
        }

        if (AskedAddressReplies.Apply(LocalEndPoint, options.AnswerFromAskedAddress))
            _asked = new AskedAddressReplies(socket);
        _rendezvous = new Rendezvous(options, logger, scheduler, Send, store, Send);
        _receiveLoop = Task.Factory.StartNew(_asked is null ? ReceiveLoop : ReceiveLoopNotingAskedAddress, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The address and port the server's socket is bound to (the port chosen, when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>This node's address as clients reach it (<see cref="SignalingServerOptions.NodeAddress"/>, or where it listens).</summary>
    public IPEndPoint NodeAddress { get; }

    /// <summary>
    /// Null while this node can serve; otherwise one sentence saying why not (its shared room store, Redis, does not answer).
    /// A round trip to Redis when <see cref="SignalingServerOptions.Redis"/> is set; free otherwise.
    /// </summary>
    public string? CheckHealth() => _rendezvous.CheckHealth();

    /// <summary>
    /// True when replies leave from the address each client asked at (<see cref="SignalingServerOptions.AnswerFromAskedAddress"/>):
    /// a wildcard listen address on a machine with several addresses.
    /// </summary>
    public bool AnswersFromAskedAddress => _asked is not null;

    /// <summary>What the server has seen so far (live counters).</summary>
    public SignalingStatistics Statistics => _rendezvous.Statistics;

    /// <summary>Binds <paramref name="listen"/> (port 0 picks a free one) and starts serving.</summary>
    /// <exception cref="SocketException">The address cannot be bound, e.g. <see cref="SocketError.AddressAlreadyInUse"/>.</exception>
    /// <exception cref="SignalingException"><see cref="SignalingServerOptions.Redis"/> is set and cannot be reached; the message says so in one sentence.</exception>
    public static SignalingServer Start(IPEndPoint listen, SignalingServerOptions? options = null, ILogger? logger = null, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        options ??= new SignalingServerOptions();
        options.Validate();
        logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6 && listen.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(listen);
            var server = new SignalingServer(socket, options, logger, scheduler ?? DefaultScheduler.Instance);
            logger.LogInformation("Signaling and STUN on udp {EndPoint}", server.LocalEndPoint);
            if (options.Redis is not null)
            {
                logger.LogInformation("Rooms shared through Redis at {Redis}; this node is {Node}", options.Redis, server.NodeAddress);
                if (server.NodeAddress.Address.Equals(IPAddress.Any) || server.NodeAddress.Address.Equals(IPAddress.IPv6Any))
                    logger.LogWarning("This node's address {Node} is no address clients can be sent to; give the one they reach it at (--node-address)", server.NodeAddress);
            }

            if (options.RelayEnabled)
                logger.LogInformation(
                    "Relay on: per room {Rate}/s (bursts of {Burst}), {Total} in all, datagrams up to {Size} bytes",
                    ByteCount.Format(options.RelayBytesPerSecond), ByteCount.Format(options.RelayBurstBytes), ByteCount.Format(options.RelayTotalBytes), options.MaxRelayPayloadBytes);
            else
                logger.LogInformation("Relay off: peers that cannot punch through will not connect");
            return server;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops serving: closes the socket, waits for the receive loop to end and stops the room sweep. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        _rendezvous.Dispose();
        _stop.Dispose();
        _logger.LogInformation("Signaling server stopped ({Statistics})", Statistics);
    }

    private void Send(byte[] datagram, IPEndPoint to) => Send(datagram.AsSpan(), to);

    private void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        try
        {
            if (_asked is { } asked)
                asked.Send(datagram, to);
            else
                _socket.SendTo(datagram, SocketFlags.None, _addresses.For(to));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Statistics.SendFailed();
            _logger.LogDebug("Could not answer {EndPoint}: {Message}", to, ex.Message);
        }
    }

    /// <summary>
    /// One thread of its own, blocked in <c>recvfrom</c>: each datagram is handled and answered on the thread that received
    /// it, with no hop through the thread pool. Measured against coturn (docs/BENCHMARKS.md, "Signaling under load"), this
    /// took the server's CPU per STUN answer from 11-32 to 9-10 µs and per relayed datagram from 14-35 to 8-8.5 µs.
    /// Disposing the socket unblocks it.
    /// </summary>
    private void ReceiveLoop()
    {
        var buffer = new byte[2048];
        var address = new SocketAddress(_socket.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int receivedBytes;
            try
            {
                receivedBytes = _socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                continue; // ICMP noise for an earlier reply (Windows), or an oversized datagram: not ours to stop for
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("Receive failed ({Error}); still serving", ex.SocketErrorCode);
                continue;
            }

            var source = _addresses.Source(address);
            Handle(buffer.AsSpan(0, receivedBytes), source);
        }
    }

    private void Handle(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        try
        {
            _rendezvous.Receive(datagram, source);
        }
        catch (Exception ex)
        {
            // A bug in handling one datagram must not stop the server for everyone.
            Statistics.Malformed();
            _logger.LogError(ex, "Failed to handle a datagram from {Source}", source);
        }
    }

    /// <summary>
    /// <see cref="ReceiveLoop"/> for a multihomed server bound to a wildcard address: each datagram's destination address
    /// is noted (IP_PKTINFO), so that everything sent to its source leaves from that address (<see cref="AskedAddressReplies"/>).
    /// </summary>
    private void ReceiveLoopNotingAskedAddress()
    {
        var buffer = new byte[2048];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            int receivedBytes;
            var source = any;
            try
            {
                receivedBytes = _asked!.Receive(buffer, ref source);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("Receive failed ({Error}); still serving", ex.SocketErrorCode);
                continue;
            }

            Handle(buffer.AsSpan(0, receivedBytes), (IPEndPoint)source);
        }
    }

    /// <summary>
    /// Addresses both ways without an allocation per datagram: the <see cref="IPEndPoint"/> of a received
    /// <see cref="SocketAddress"/> (IPv4-mapped addresses as IPv4, as the rooms keep them), and the
    /// <see cref="SocketAddress"/> to send to an <see cref="IPEndPoint"/> (what <c>SendTo(EndPoint)</c> would serialize
    /// anew for every datagram). Two small direct-mapped tables of the latest addresses (a busy relay talks to the same few
    /// over and over); a miss costs what every datagram cost before. Entries never change once made, so a send from
    /// another thread (the shared store's forwarding) reads a whole entry or the one before it.
    /// </summary>
    private sealed class AddressBook(AddressFamily family, bool dualMode)
    {
        private const int Slots = 256; // a power of two

        private readonly Entry?[] _byAddress = new Entry?[Slots];
        private readonly Entry?[] _byEndPoint = new Entry?[Slots];
        private readonly IPEndPoint _template = family == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);

        /// <summary>The source of a datagram just received into <paramref name="received"/> (which the next receive overwrites).</summary>
        public IPEndPoint Source(SocketAddress received)
        {
            var slot = received.GetHashCode() & (Slots - 1);
            if (_byAddress[slot] is { } known && known.Address.Equals(received))
                return known.EndPoint;

            var source = PlainAddress.Of((IPEndPoint)_template.Create(received));
            var copy = new SocketAddress(received.Family, received.Size);
            received.Buffer.Span[..received.Size].CopyTo(copy.Buffer.Span);
            Remember(new Entry(copy, source), slot);
            return source;
        }

        /// <summary>The socket address to send to <paramref name="to"/> (IPv4 as IPv4-mapped IPv6 on a dual-mode socket).</summary>
        public SocketAddress For(IPEndPoint to)
        {
            var slot = to.GetHashCode() & (Slots - 1);
            if (_byEndPoint[slot] is { } known && (ReferenceEquals(known.EndPoint, to) || known.EndPoint.Equals(to)))
                return known.Address;

            var serialized = dualMode && to.AddressFamily == AddressFamily.InterNetwork
                ? new IPEndPoint(to.Address.MapToIPv6(), to.Port).Serialize()
                : to.Serialize();
            Remember(new Entry(serialized, to), serialized.GetHashCode() & (Slots - 1));
            return serialized;
        }

        private void Remember(Entry entry, int addressSlot)
        {
            _byAddress[addressSlot] = entry;
            _byEndPoint[entry.EndPoint.GetHashCode() & (Slots - 1)] = entry;
        }

        private sealed record Entry(SocketAddress Address, IPEndPoint EndPoint);
    }
}
