using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>Accepts TCP connections and hands each one out as a frame connection.</summary>
public sealed class TcpFrameListener : IFrameListener
{
    private const int Backlog = 128;

    private readonly Socket _socket;
    private readonly FrameConnectionOptions _options;
    private int _disposed;

    private TcpFrameListener(Socket socket, FrameConnectionOptions options)
    {
        _socket = socket;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The address actually bound: port 0 in the request becomes the port the system chose.</summary>
    public IPEndPoint LocalEndPoint { get; }

    EndPoint IFrameListener.LocalEndPoint => LocalEndPoint;

    /// <summary>Binds <paramref name="endPoint"/> and starts listening.</summary>
    /// <exception cref="TransportException">The address is in use, not local, or not allowed.</exception>
    public static TcpFrameListener Start(IPEndPoint endPoint, FrameConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= FrameConnectionOptions.Default;
        options.Validate();

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // [::] should mean every address, IPv4 included, as it does for most servers.
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(endPoint);
            socket.Listen(Backlog);
            return new TcpFrameListener(socket, options);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw TransportErrors.ListenFailed(endPoint, error);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the next peer.</summary>
    /// <remarks>A peer that resets before it is accepted is skipped: one bad peer does not stop the listener.</remarks>
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    public async ValueTask<IFrameConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue;
            }
            catch (Exception error) when (Volatile.Read(ref _disposed) != 0 && error is SocketException or ObjectDisposedException)
            {
                throw new ObjectDisposedException(nameof(TcpFrameListener), error);
            }

            try
            {
                return SocketFrameConnection.Create(accepted, _options);
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException)
            {
                // Gone between accept and setup (RemoteEndPoint or NoDelay on a reset socket): next peer.
                accepted.Dispose();
            }
        }
    }

    /// <summary>Stops listening. Connections already accepted stay open.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Says what this listener is and where.</summary>
    public override string ToString() => $"TCP listener on {LocalEndPoint}";
}
