using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;
using SocketsConnectionAbortedException = Pipelines.Sockets.Unofficial.ConnectionAbortedException;
using SocketsConnectionResetException = Pipelines.Sockets.Unofficial.ConnectionResetException;

namespace SecretChat.Transport;

/// <summary>Turns what sockets and pipes throw into this library's exceptions, each with one clear sentence.</summary>
public static class TransportErrors
{
    /// <summary>
    /// A datagram send that failed this way is a lost datagram, nothing more: the socket is closing or closed, the
    /// network refused it for now, or the session under it ended. Whoever sends datagrams treats it as loss (the
    /// retransmission above covers it); anything else is a bug and propagates.
    /// </summary>
    public static bool IsLostDatagram(Exception error) => error is IOException
        or SocketException
        or InvalidOperationException // includes ObjectDisposedException and an ended session's refusal
        or OperationCanceledException;

    /// <summary>Already one of ours: passes through unchanged.</summary>
    public static bool IsOwn(Exception error) => error is MalformedFrameException
        or ConnectionClosedException
        or ConnectionResetException
        or ConnectionAbortedException
        or TransportException;

    /// <summary>The peer (or the network) reset the connection.</summary>
    public static bool IsReset(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is SocketsConnectionResetException)
                return true;
            if (current is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
                return true;
        }

        return false;
    }

    /// <summary>The socket was closed under a pending operation (by this side).</summary>
    public static bool IsLocalClose(Exception error) => error is SocketsConnectionAbortedException or ObjectDisposedException
        || error is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted };

    /// <summary>Anything else that went wrong under a connection.</summary>
    public static IOException Unexpected(Exception error) => error as IOException
        ?? new IOException($"the connection failed: {error.Message}", error);

    /// <summary>
    /// The one-sentence error for a failed connect to <paramref name="endPoint"/>, by socket error (refused, timed out,
    /// unreachable, ...).
    /// </summary>
    public static TransportException ConnectFailed(EndPoint endPoint, SocketException error) => error.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new($"nothing is listening on {endPoint} (connection refused)", error),
        SocketError.TimedOut => new($"could not connect to {endPoint}: the connection attempt timed out", error),
        SocketError.HostUnreachable => new($"could not connect to {endPoint}: the host is unreachable", error),
        SocketError.NetworkUnreachable => new($"could not connect to {endPoint}: the network is unreachable", error),
        SocketError.AddressNotAvailable => new($"could not connect to {endPoint}: that address is not valid here", error),
        _ => new($"could not connect to {endPoint}: {error.Message}", error),
    };

    /// <summary>
    /// The one-sentence error for a host name that could not be resolved; <paramref name="error"/> is the resolver's,
    /// if any.
    /// </summary>
    public static TransportException ResolveFailed(string host, Exception? error) =>
        new($"could not resolve host '{host}'", error);

    /// <summary>
    /// The one-sentence error for a failed bind or listen on <paramref name="endPoint"/> (address in use, not ours,
    /// permission).
    /// </summary>
    public static TransportException ListenFailed(EndPoint endPoint, SocketException error) => error.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => new($"cannot listen on {endPoint}: the address is already in use", error),
        SocketError.AddressNotAvailable => new($"cannot listen on {endPoint}: that address does not belong to this machine", error),
        SocketError.AccessDenied => new($"cannot listen on {endPoint}: permission denied", error),
        _ => new($"cannot listen on {endPoint}: {error.Message}", error),
    };
}
