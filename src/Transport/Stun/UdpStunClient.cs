using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;

namespace SecretChat.Transport.Stun;

/// <summary>
/// A <see cref="StunClient"/> over a plain UDP <see cref="Socket"/> it reads itself: for tools (netcheck) and tests.
/// Code that shares its socket with other protocols uses <see cref="StunClient"/> and feeds it instead.
/// </summary>
public sealed class UdpStunClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly bool _ownsSocket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;

    /// <summary>A STUN client that sends from <paramref name="socket"/> and reads its answers from it.</summary>
    /// <param name="socket">A bound UDP socket (bind to port 0 for any free port).</param>
    /// <param name="scheduler">Drives retransmissions; null means <see cref="DefaultScheduler.Instance"/>.</param>
    /// <param name="options">Retransmission settings; null means the RFC defaults.</param>
    /// <param name="ownsSocket">Dispose the socket with this client.</param>
    public UdpStunClient(Socket socket, IScheduler? scheduler = null, StunClientOptions? options = null, bool ownsSocket = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram)
            throw new ArgumentException("A UDP (datagram) socket is needed.", nameof(socket));
        if (socket.LocalEndPoint is null)
            throw new ArgumentException("Bind the socket first (port 0 picks a free one).", nameof(socket));
        _socket = socket;
        _ownsSocket = ownsSocket;
        Client = new StunClient(SendAsync, scheduler ?? DefaultScheduler.Instance, options);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Binds a new UDP socket to <paramref name="local"/> (owned by the client).</summary>
    public static UdpStunClient Bind(IPEndPoint local, IScheduler? scheduler = null, StunClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(local);
            return new UdpStunClient(socket, scheduler, options, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The client that runs the transactions; this object feeds it the socket's datagrams.</summary>
    public StunClient Client { get; }

    /// <summary>The local address of the socket the requests go out from.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams that were not STUN answers to us (so a caller sharing the port can see them); counted only.</summary>
    public long IgnoredDatagrams => Interlocked.Read(ref _ignored);

    private long _ignored;

    /// <summary>Sends a Binding request to <paramref name="server"/> (resolving a name first) and returns the mapped address.</summary>
    public async Task<StunBinding> BindAsync(EndPoint server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var target = await ResolveAsync(server, _socket.AddressFamily, cancellationToken).ConfigureAwait(false);
        return await Client.BindAsync(target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops receiving and closes the socket if this object opened it (<see cref="Client"/> gets no more answers).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_ownsSocket)
            _socket.Dispose();
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    internal static async Task<IPEndPoint> ResolveAsync(EndPoint server, AddressFamily family, CancellationToken cancellationToken, IHostResolver? resolver = null)
    {
        switch (server)
        {
            case IPEndPoint ip:
                return ip;
            case DnsEndPoint dns:
                var addresses = await (resolver ?? HostResolver.Default).ResolveAsync(dns.Host, cancellationToken).ConfigureAwait(false);
                var address = addresses.FirstOrDefault(a => a.AddressFamily == family)
                    ?? (family == AddressFamily.InterNetworkV6 ? addresses.FirstOrDefault() : null)
                    ?? throw new SocketException((int)SocketError.HostNotFound);
                return new IPEndPoint(address, dns.Port);
            default:
                throw new ArgumentException($"Unsupported endpoint type {server.GetType().Name}.", nameof(server));
        }
    }

    private ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
    {
        if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && destination.AddressFamily == AddressFamily.InterNetwork)
            destination = new IPEndPoint(destination.Address.MapToIPv6(), destination.Port);
        return SendCoreAsync(datagram, destination, cancellationToken);
    }

    private async ValueTask SendCoreAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken) =>
        await _socket.SendToAsync(datagram, SocketFlags.None, destination, cancellationToken).ConfigureAwait(false);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[2048];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
            {
                continue; // an ICMP "port unreachable" for an earlier send (Windows reports it here); retransmission copes
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                                       || (ex is SocketException && _stop.IsCancellationRequested))
            {
                return;
            }

            var from = StunAddress.Normalize((IPEndPoint)received.RemoteEndPoint);
            if (!Client.TryHandle(buffer.AsSpan(0, received.ReceivedBytes), from))
                Interlocked.Increment(ref _ignored);
        }
    }
}
