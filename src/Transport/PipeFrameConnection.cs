using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>
/// Length-prefixed frames (<see cref="LengthPrefixedFrameCodec"/>) over any <see cref="IDuplexPipe"/>:
/// a TCP socket, a pair of in-memory pipes, a stream. Transports differ only in how they build the pipe.
/// </summary>
/// <remarks>
/// <para>Receiving: see <see cref="Frames"/>. Sending: <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
/// may be called from any number of threads; frames are written whole, one at a time, and a send completes once
/// its frame is queued (it waits only when the peer does not keep up).</para>
/// <para>Closing: <see cref="CompleteAsync"/> half-closes after everything sent (the peer's <see cref="Frames"/>
/// completes and this side keeps receiving); <see cref="Abort"/> closes both directions at once, drops what is
/// still queued, and the peer sees a reset; <see cref="DisposeAsync"/> delivers what is queued, completes
/// gracefully, stops receiving and releases the transport.</para>
/// <para>Subclasses own the resource under the pipe (a socket) and release it in <see cref="CloseTransport"/>.</para>
/// </remarks>
public partial class PipeFrameConnection : IFrameConnection, IDescribedConnection
{
    private readonly IDuplexPipe _transport;
    private readonly int _maxPayloadSize;
    private readonly TimeSpan _closeTimeout;
    private readonly IScheduler _scheduler;

    // Set once, by Abort or DisposeAsync; from then on sends fail and receiving stops with this error.
    private ConnectionAbortedException? _closeError;
    private int _disposed;
    private int _transportClosed;

    /// <summary>
    /// A frame connection over <paramref name="transport"/>, which it owns from now on: disposal completes the pipe's
    /// output and stops reading its input.
    /// </summary>
    /// <param name="transport">The byte stream, as a duplex pipe (for example over a socket or a <c>NetworkStream</c>).</param>
    /// <param name="options">Frame size limit, close timeout and scheduler; <see cref="FrameConnectionOptions.Default"/> when null.</param>
    /// <param name="remoteEndPoint">The peer's address, for <see cref="Framing.IFrameConnection.RemoteEndPoint"/>, when known.</param>
    /// <exception cref="ArgumentNullException"><paramref name="transport"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds an invalid value.</exception>
    public PipeFrameConnection(IDuplexPipe transport, FrameConnectionOptions? options = null, EndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= FrameConnectionOptions.Default;
        options.Validate();

        _transport = transport;
        _maxPayloadSize = options.MaxPayloadSize;
        _closeTimeout = options.CloseTimeout;
        _scheduler = options.Scheduler;
        RemoteEndPoint = remoteEndPoint;
        Frames = Observable.Create<ReadOnlySequence<byte>>(ReceiveFramesAsync);
    }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>What carries this connection (<see cref="TransportKind.Other"/> unless the creator says).</summary>
    public TransportKind Transport { get; init; } = TransportKind.Other;

    /// <summary>
    /// Frames over a byte stream (a <see cref="System.Net.Sockets.NetworkStream"/>, a pipe, an <c>SslStream</c>): the
    /// stream is read and written through pipes that leave it open, and disposed with the connection.
    /// </summary>
    /// <remarks>
    /// <see cref="CompleteAsync"/> is a half-close: over a <see cref="System.Net.Sockets.NetworkStream"/> it shuts the
    /// socket's sending side down (the peer reads the end of the stream and can still answer); other streams have no
    /// half-close, so their peer sees the end when the connection is disposed.
    /// </remarks>
    /// <param name="stream">A readable and writable stream; the connection owns it.</param>
    /// <param name="options">Frame limits and timeouts (the defaults when null).</param>
    /// <param name="remoteEndPoint">The peer's address, if the stream has one.</param>
    /// <param name="transport">What carries the stream, as a chat reports it.</param>
    public static PipeFrameConnection Create(
        Stream stream, FrameConnectionOptions? options = null, EndPoint? remoteEndPoint = null, TransportKind transport = TransportKind.Other)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new StreamFrameConnection(stream, options, remoteEndPoint) { Transport = transport };
    }

    /// <summary>The largest payload this connection sends or accepts.</summary>
    public int MaxPayloadSize => _maxPayloadSize;

    /// <inheritdoc />
    public void Abort(Exception? reason = null) => Close(ConnectionAbortedException.Aborted(reason), abortive: true);

    /// <summary>Completes the sending direction gracefully, stops receiving, and releases the transport.</summary>
    /// <remarks>
    /// <para>Every frame whose send completed is delivered first: disposal completes the output and waits until the
    /// transport has handed what it buffered to what lies under it (<see cref="OutputDrained"/>), up to
    /// <see cref="FrameConnectionOptions.CloseTimeout"/>. A peer that has not taken it by then gets a reset instead,
    /// since what is left could not be delivered anyway.</para>
    /// <para>An active <see cref="Frames"/> subscriber gets a <see cref="ConnectionAbortedException"/>.</para>
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;

        GC.SuppressFinalize(this);
        var abortive = false;
        if (Volatile.Read(ref _closeError) is null)
        {
            try
            {
                await CompleteOutputAsync().ConfigureAwait(false);
                await WaitForDrainAsync(OutputDrained, _closeTimeout, _scheduler).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                abortive = true;
            }
            catch (Exception)
            {
                // The peer may already be gone; disposal releases what is left and must not throw.
            }
        }

        Close(ConnectionAbortedException.Disposed(), abortive);
    }

    /// <summary>Waits for <paramref name="drained"/>; throws <see cref="TimeoutException"/> once <paramref name="timeout"/> passes on <paramref name="scheduler"/>.</summary>
    private static async Task WaitForDrainAsync(Task drained, TimeSpan timeout, IScheduler scheduler)
    {
        if (drained.IsCompleted || timeout == Timeout.InfiniteTimeSpan)
        {
            await drained.ConfigureAwait(false);
            return;
        }
        var timedOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (scheduler.Schedule(timeout, () => timedOut.TrySetResult()))
        {
            if (await Task.WhenAny(drained, timedOut.Task).ConfigureAwait(false) != drained)
                throw new TimeoutException();
        }
        await drained.ConfigureAwait(false);
    }

    /// <summary>
    /// Completes once the transport has passed on everything written to the output before it was completed (or can
    /// pass on nothing more because it failed). Disposal waits for it before <see cref="CloseTransport"/>.
    /// </summary>
    /// <remarks>
    /// Already complete here: a reader of the pipe still gets what was written after the writer completed. A
    /// transport that moves the bytes on with a loop of its own (a socket) returns that loop's completion.
    /// </remarks>
    protected virtual Task OutputDrained => Task.CompletedTask;

    /// <summary>
    /// Called once the output pipe is completed gracefully (by <see cref="CompleteAsync"/> or disposal): a transport
    /// whose pipe does not pass the end on by itself (a stream's writer) half-closes here.
    /// </summary>
    protected virtual void OnOutputCompleted()
    {
    }

    /// <summary>Releases what lies under the pipe, once.</summary>
    /// <param name="abortive">
    /// <see langword="true"/> from <see cref="Abort"/>: the peer should see a reset, not a clean end, so this
    /// runs before the pipes are completed. <see langword="false"/> from disposal, after a graceful completion.
    /// </param>
    protected virtual void CloseTransport(bool abortive)
    {
    }

    private void Close(ConnectionAbortedException error, bool abortive)
    {
        if (Interlocked.CompareExchange(ref _closeError, error, null) is not null)
        {
            // Already aborted; disposal still has to release the transport.
            if (!abortive)
                CloseTransportOnce(abortive);
            return;
        }

        if (abortive)
            CloseTransportOnce(abortive);

        // Wake a send waiting on back-pressure and a receive waiting for data; each then sees _closeError.
        CancelPendingFlush();
        StopReceiving();
        CompleteOutputIfClosed();

        if (!abortive)
            CloseTransportOnce(abortive);
    }

    /// <summary>A fresh exception per throw: one instance rethrown on several threads would mix their stack traces.</summary>
    private ConnectionAbortedException CopyCloseError()
    {
        var closeError = Volatile.Read(ref _closeError) ?? ConnectionAbortedException.Disposed();
        return new ConnectionAbortedException(closeError.Message, closeError.InnerException);
    }

    /// <summary>Wakes a send waiting on back-pressure, if the output can still have one.</summary>
    /// <remarks>
    /// A stream's writer (<see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/>) disposes its cancellation
    /// source when completed and then throws from <c>CancelPendingFlush</c>; a completed writer has no flush to wake.
    /// </remarks>
    private void CancelPendingFlush()
    {
        try
        {
            _transport.Output.CancelPendingFlush();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void CloseTransportOnce(bool abortive)
    {
        if (Interlocked.Exchange(ref _transportClosed, 1) == 0)
            CloseTransport(abortive);
    }
}
