using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;

namespace SecretChat.Transport.Udp;

/// <summary>
/// A bound UDP socket as an observable of datagrams plus a send method: the bottom of the UDP session.
/// </summary>
/// <remarks>
/// <para><see cref="Datagrams"/> is fed by one receive thread per socket, started by the first subscription and
/// blocked in the kernel's <c>recvfrom</c> until a datagram comes: the datagram is received into one pooled buffer and
/// emitted on that thread as a <see cref="Datagram"/> valid only during its <c>OnNext</c> (the next receive reuses
/// the buffer, which is the back-pressure: the thread waits for <c>OnNext</c>). One kernel wake-up per datagram and
/// no thread-pool hand-off: an asynchronous receive costs two wake-ups (the runtime's epoll thread, then a pool
/// thread). The sockets stays blocking for that (on Linux any asynchronous operation would make it non-blocking for
/// good), so sends are synchronous <c>sendto</c> calls too. One subscriber at a time; the thread outlives a
/// subscription, and a datagram it took while nobody subscribed waits for the next subscriber, as it would have in
/// the kernel. ICMP errors reported on the socket (port unreachable, surfacing as
/// <see cref="SocketError.ConnectionReset"/>) and oversize datagrams are counted and skipped; they never end the
/// thread. The sequence completes when the socket is disposed and fails with the <see cref="SocketException"/> of any
/// other receive error (a later subscription starts a new thread).</para>
/// <para>Sending is one synchronous <c>sendto</c> per call, so datagrams leave in the order of the calls even when
/// nobody awaits them (the reliability engine above does not: a datagram that overtook another would look like loss to
/// it). There is no pacing here: the receive thread needs no sender to yield to it, and the reliability layer above
/// owns the send and congestion windows.</para>
/// </remarks>
public sealed class UdpDatagramSocket : IDatagramTransport, IDisposable, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly UdpSocketOptions _options;
    private readonly CancellationTokenSource _disposed = new();
    private readonly object _receiving = new(); // guards _observer, _receiver, _ended; the thread waits on it for a subscriber
    private IObserver<Datagram>? _observer;
    private Thread? _receiver;
    private bool _ended;
    private SendTarget? _sendTarget;
    private long _oversize;
    private long _icmpErrors;

    private UdpDatagramSocket(Socket socket, UdpSocketOptions options)
    {
        _socket = socket;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Datagrams = Observable.Create<Datagram>(Subscribe);
    }

    /// <summary>
    /// Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 picks a free port). IPv6Any is dual-stack: it sends
    /// to and receives from IPv4 addresses too, and reports IPv4 sources as plain IPv4 (not IPv4-mapped IPv6).
    /// </summary>
    public static UdpDatagramSocket Bind(IPEndPoint localEndPoint, UdpSocketOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= UdpSocketOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDatagramSize, 1, nameof(options));
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            if (OperatingSystem.IsWindows())
            {
                // SIO_UDP_CONNRESET off: Windows would otherwise fail the next receive after an ICMP port unreachable.
                const int SioUdpConnReset = unchecked((int)0x9800000C);
                socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
            }
            TrySetReceiveBuffer(socket, options.ReceiveBufferSize);
            socket.Bind(localEndPoint);
            return new UdpDatagramSocket(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The address and port the socket is bound to (the port chosen, when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>UDP.</summary>
    public TransportKind Transport => TransportKind.Udp;

    /// <summary>Inbound datagrams; see the remarks.</summary>
    public IObservable<Datagram> Datagrams { get; }

    /// <summary>The kernel receive buffer actually granted.</summary>
    public int ReceiveBufferSize => _socket.ReceiveBufferSize;

    /// <summary>Inbound datagrams dropped for being larger than <see cref="UdpSocketOptions.MaxDatagramSize"/>.</summary>
    public long OversizeDropped => Interlocked.Read(ref _oversize);

    /// <summary>ICMP errors (port unreachable and the like) the receive loop skipped.</summary>
    public long IcmpErrors => Interlocked.Read(ref _icmpErrors);

    /// <summary>
    /// Sends one datagram. ICMP errors surfacing here are ignored (datagrams may be lost anyway).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The datagram exceeds <see cref="UdpSocketOptions.MaxDatagramSize"/>.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        if (datagram.Length > _options.MaxDatagramSize)
            throw new ArgumentOutOfRangeException(nameof(datagram), datagram.Length, $"A datagram is at most {_options.MaxDatagramSize} bytes.");
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        try
        {
            // Synchronous: the socket stays blocking for the receive thread (see the remarks). A UDP send waits only
            // while the socket's send buffer is full.
            _socket.SendTo(datagram.Span, SocketFlags.None, AddressOf(remoteEndPoint));
            return ValueTask.CompletedTask;
        }
        catch (SocketException e) when (IsIcmpError(e.SocketErrorCode))
        {
            return ValueTask.CompletedTask;
        }
        catch (SocketException e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>The peer's address as the socket takes it, kept while the peer stays the same (steady traffic allocates none).</summary>
    private SocketAddress AddressOf(IPEndPoint remoteEndPoint)
    {
        if (Volatile.Read(ref _sendTarget) is { } target && target.EndPoint.Equals(remoteEndPoint))
            return target.Address;
        var endPoint = remoteEndPoint;
        // A dual-stack socket sends to IPv4 peers at their IPv4-mapped IPv6 address.
        if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.AddressFamily == AddressFamily.InterNetwork)
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port);
        var address = endPoint.Serialize();
        Volatile.Write(ref _sendTarget, new SendTarget(remoteEndPoint, address));
        return address;
    }

    private sealed record SendTarget(IPEndPoint EndPoint, SocketAddress Address);

    /// <summary>
    /// Closes the socket: the receive loop ends and later sends throw <see cref="ObjectDisposedException"/>.
    /// Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
            return;
        _disposed.Cancel(); // not disposed itself: a late send may still look at its token
        _socket.Dispose(); // on Linux this also returns the receive thread from its blocked recvfrom
        lock (_receiving)
            Monitor.PulseAll(_receiving); // a thread holding a datagram for the next subscriber ends too
    }

    /// <summary>Closes the socket as <see cref="Dispose()"/> does; completes synchronously.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private IDisposable Subscribe(IObserver<Datagram> observer)
    {
        lock (_receiving)
        {
            if (_observer is not null)
            {
                observer.OnError(new InvalidOperationException("A UDP socket's datagrams take one subscriber at a time."));
                return Disposable.Empty;
            }
            if (_disposed.IsCancellationRequested)
            {
                observer.OnCompleted();
                return Disposable.Empty;
            }
            _observer = observer;
            if (_receiver is null || _ended)
            {
                _ended = false;
                _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = $"udp {LocalEndPoint}" };
                _receiver.Start();
            }
            else
            {
                Monitor.PulseAll(_receiving); // the thread may be holding a datagram for this subscriber
            }
        }
        return Disposable.Create(() =>
        {
            lock (_receiving)
            {
                if (ReferenceEquals(_observer, observer))
                    _observer = null;
            }
        });
    }

    /// <summary>The current subscriber, waiting for one while there is none; null once the socket is disposed.</summary>
    private IObserver<Datagram>? WaitForObserver()
    {
        lock (_receiving)
        {
            while (_observer is null && !_disposed.IsCancellationRequested)
                Monitor.Wait(_receiving);
            return _disposed.IsCancellationRequested ? null : _observer;
        }
    }

    /// <summary>The receive thread ends (the socket closed, or failed with <paramref name="error"/>) and tells the subscriber.</summary>
    private void End(Exception? error)
    {
        IObserver<Datagram>? observer;
        lock (_receiving)
        {
            _ended = true;
            observer = _observer;
            _observer = null;
        }
        Tell(observer, error);
    }

    /// <summary>Ends the subscription of <paramref name="observer"/>, whose <c>OnNext</c> threw <paramref name="error"/>; the thread goes on.</summary>
    private void Detach(IObserver<Datagram> observer, Exception error)
    {
        lock (_receiving)
        {
            if (ReferenceEquals(_observer, observer))
                _observer = null;
        }
        Tell(observer, error);
    }

    private static void Tell(IObserver<Datagram>? observer, Exception? error)
    {
        try
        {
            if (error is null)
                observer?.OnCompleted();
            else
                observer?.OnError(error);
        }
        catch (Exception)
        {
            // An observer without an error handler rethrows: on this thread that would end the process, and the
            // subscription it would have told is over anyway.
        }
    }

    private void ReceiveLoop()
    {
        // One byte more than the limit, so an oversize datagram shows up as a full buffer (Linux truncates silently).
        var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxDatagramSize + 1);
        var address = new SocketAddress(_socket.AddressFamily);
        SocketAddress? lastAddress = null;
        IPEndPoint? lastEndPoint = null;
        try
        {
            while (true)
            {
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer.AsSpan(0, _options.MaxDatagramSize + 1), SocketFlags.None, address);
                }
                catch (SocketException e) when (IsIcmpError(e.SocketErrorCode) && !_disposed.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _icmpErrors);
                    continue;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    Interlocked.Increment(ref _oversize);
                    continue;
                }
                // A socket shut down by Dispose returns empty reads: they are not datagrams.
                if (_disposed.IsCancellationRequested)
                    break;
                if (received > _options.MaxDatagramSize)
                {
                    Interlocked.Increment(ref _oversize);
                    continue;
                }
                // Steady traffic comes from one peer: reuse its endpoint instead of allocating one per datagram.
                if (lastEndPoint is null || !address.Equals(lastAddress))
                {
                    lastEndPoint = (IPEndPoint)new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(address);
                    // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d: name them as they are named everywhere else
                    // (candidates, the server list), so one peer has one address whichever family of socket heard it.
                    if (lastEndPoint.Address.IsIPv4MappedToIPv6)
                        lastEndPoint = new IPEndPoint(lastEndPoint.Address.MapToIPv4(), lastEndPoint.Port);
                    lastAddress = new SocketAddress(address.Family, address.Size);
                    address.Buffer.Span.CopyTo(lastAddress.Buffer.Span);
                }
                if (WaitForObserver() is not { } observer)
                    break;
                try
                {
                    observer.OnNext(new Datagram(lastEndPoint, buffer.AsMemory(0, received)));
                }
                catch (Exception e)
                {
                    // A subscriber's exception ends its subscription, not the process (an exception escaping this thread
                    // would end everything) and not the thread: the next subscriber receives as before.
                    Detach(observer, e);
                }
            }
            End(null);
        }
        catch (Exception e) when (e is ObjectDisposedException
            || (e is SocketException && _disposed.IsCancellationRequested))
        {
            End(null);
        }
        catch (SocketException e)
        {
            End(e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsIcmpError(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private static void TrySetReceiveBuffer(Socket socket, int size)
    {
        try
        {
            socket.ReceiveBufferSize = size;
        }
        catch (SocketException)
        {
            // The OS refused the size; its default buffer still works, just with less room for bursts.
        }
    }
}
