using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SecretChat.Transport.Stun;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// A closed-loop UDP load: several connected sockets, each keeping a window of requests in flight and sending the next
/// as each answer arrives, until a number of answers has come back. A window lost to a full socket buffer is sent again
/// after 50 ms of silence (counted in <see cref="Resent"/>). The same client, request and rules for every server.
/// </summary>
internal sealed class StunLoad : IDisposable
{
    /// <summary>How long a socket waits for an answer before it takes its window for lost and sends it again.</summary>
    private const int StallMilliseconds = 50;

    /// <summary>Stalls in a row after which a run fails instead of waiting forever (10 s).</summary>
    private const int MaxStalls = 200;

    private readonly Socket[] _sockets;
    private readonly byte[] _request;
    private readonly Func<ReadOnlySpan<byte>, bool> _isAnswer;
    private long _resent;

    public StunLoad(IPEndPoint server, byte[] request, Func<ReadOnlySpan<byte>, bool> isAnswer, int sockets = 4)
    {
        _request = request;
        _isAnswer = isAnswer;
        _sockets = new Socket[sockets];
        for (var i = 0; i < sockets; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = StallMilliseconds };
            socket.ReceiveBufferSize = 1 << 20;
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Connect(server);
            _sockets[i] = socket;
        }
    }

    /// <summary>Windows sent again after a stall, over the load's life.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>
    /// A STUN Binding request that names its software (52 bytes), as <c>secretchat netcheck</c> sends: large enough that
    /// a server that never answers with more than it was sent (ours, by default) still answers it.
    /// </summary>
    public static byte[] BindingRequest() =>
        new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New()).AddSoftware("SecretChat netcheck").AddFingerprint().ToArray();

    /// <summary>A Binding success response (type 0x0101).</summary>
    public static bool IsBindingSuccess(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 20 && BinaryPrimitives.ReadUInt16BigEndian(datagram) == 0x0101;

    /// <summary>Sends until <paramref name="answers"/> answers came back, <paramref name="window"/> in flight per socket.</summary>
    public void Run(int answers, int window)
    {
        var remaining = (long)answers;
        // A thread per socket (blocking calls: the cheapest client there is); a failure surfaces here.
        var drivers = _sockets.Select(socket => Task.Factory.StartNew(
            () => Drive(socket, window, ref remaining), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(drivers);
    }

    private void Drive(Socket socket, int window, ref long remaining)
    {
        var buffer = new byte[2048];
        var stalls = 0;
        for (var i = 0; i < window; i++)
            socket.Send(_request);
        while (Volatile.Read(ref remaining) > 0)
        {
            int received;
            try
            {
                received = socket.Receive(buffer);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                if (++stalls > MaxStalls)
                    throw new TimeoutException($"Nothing came back for {MaxStalls * StallMilliseconds / 1000} s: the server stopped answering (resent {Resent} windows).");
                Interlocked.Increment(ref _resent);
                for (var i = 0; i < window; i++)
                    socket.Send(_request);
                continue;
            }

            if (!_isAnswer(buffer.AsSpan(0, received)))
                continue;
            stalls = 0;
            if (Interlocked.Decrement(ref remaining) >= window * _sockets.Length)
                socket.Send(_request);
        }

        // Answers still in flight for this round are read (and not counted) by the next one's first receives.
        Drain(socket, buffer);
    }

    private static void Drain(Socket socket, byte[] buffer)
    {
        while (socket.Available > 0)
            socket.Receive(buffer);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
            socket.Dispose();
    }
}
