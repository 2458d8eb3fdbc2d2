using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.Security.Datagrams;

/// <summary>A peer whose handshake with a <see cref="UdpSecureListener"/> failed (the listener goes on).</summary>
public sealed record UdpHandshakeFailure(IPEndPoint? Peer, HandshakeException Error);

/// <summary>
/// One bound UDP socket that accepts peers one after another: each accepted peer gets a fresh
/// <see cref="SecureDatagramChannel"/> that the socket feeds (the newest only), wrapped in a
/// <see cref="ReliableDatagramChannel"/> once its handshake completes.
/// </summary>
public sealed class UdpSecureListener : IAsyncDisposable
{
    private readonly UdpDatagramSocket _socket;
    private readonly ISecurityModule _security;
    private readonly DatagramChannelOptions _options;
    private readonly ReliabilityOptions _reliability;
    private readonly IScheduler _scheduler;
    private readonly IDisposable _wiring;
    private SecureDatagramChannel? _current;

    private UdpSecureListener(UdpDatagramSocket socket, ISecurityModule security, DatagramChannelOptions options, ReliabilityOptions reliability, IScheduler scheduler)
    {
        _socket = socket;
        _security = security;
        _options = options;
        _reliability = reliability;
        _scheduler = scheduler;
        _wiring = socket.Datagrams.Subscribe(d => Volatile.Read(ref _current)?.Receive(d.RemoteEndPoint, d.Payload.Span));
    }

    /// <summary>Binds <paramref name="localEndPoint"/> (port 0 picks a free one); throws the socket's error when it cannot.</summary>
    public static UdpSecureListener Bind(
        IPEndPoint localEndPoint,
        ISecurityModule security,
        DatagramChannelOptions? options = null,
        ReliabilityOptions? reliability = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(security);
        return new UdpSecureListener(UdpDatagramSocket.Bind(localEndPoint), security, options ?? DatagramChannelOptions.Default,
            reliability ?? new ReliabilityOptions(), scheduler ?? DefaultScheduler.Instance);
    }

    /// <summary>
    /// The local address the listener's socket is bound to (with the port chosen, when 0 was asked for).
    /// </summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>
    /// Waits for a peer whose handshake completes, then wraps it in the reliable session. The session (and its
    /// dead-peer timer) starts only then: an idle listener waits for as long as it takes. The payloads that
    /// arrive before the session subscribes are kept by the datagram channel. Peers whose handshake fails are
    /// told to <paramref name="failed"/>, and the wait goes on.
    /// </summary>
    public async Task<ReliableDatagramChannel> AcceptAsync(Action<UdpHandshakeFailure>? failed = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var datagrams = SecureDatagramChannel.Accept(_security, _socket.SendAsync, _options, _scheduler);
            // The socket feeds only the newest channel; its handshake timeout starts with the first peer's hello.
            Volatile.Write(ref _current, datagrams);
            try
            {
                await datagrams.Established.WaitAsync(cancellationToken).ConfigureAwait(false);
                return new ReliableDatagramChannel(datagrams, _reliability, _scheduler);
            }
            catch (HandshakeException e)
            {
                failed?.Invoke(new UdpHandshakeFailure(datagrams.RemoteEndPoint, e));
                await datagrams.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await datagrams.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Stops accepting peers and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        _wiring.Dispose();
        await _socket.DisposeAsync().ConfigureAwait(false);
    }
}
