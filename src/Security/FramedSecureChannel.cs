using System.Buffers;
using System.Net;
using System.Reactive.Concurrency;
using System.Runtime.CompilerServices;
using System.Reactive.Linq;
using SecretChat.Framing;

using SecretChat.Transport;

namespace SecretChat.Security;

/// <summary>
/// A secure channel over a framed stream (TCP, in-memory pipes): the hello and handshake travel as
/// frames, then every frame is sealed with the implicit counter nonce, so the stream's own ordering
/// makes any replayed, dropped or reordered frame fail authentication.
/// </summary>
public sealed class FramedSecureChannel : ISecureChannel
{
    private readonly IFrameConnection _connection;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly TaskCompletionSource<SecureSession> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _subscribed;
    private SecureSession? _session;

    /// <summary>
    /// A channel that runs <paramref name="security"/>'s handshake over <paramref name="connection"/> once
    /// <see cref="Messages"/> is subscribed, then seals every frame. It owns the connection: disposing the channel disposes it.
    /// </summary>
    /// <param name="connection">The framed stream; owned by the channel from now on.</param>
    /// <param name="security">The module whose handshake and ciphers protect the stream.</param>
    /// <param name="role">Whether this side starts the handshake.</param>
    /// <param name="handshakeTimeout">How long the peer may take to complete the handshake.</param>
    /// <param name="scheduler">Times the handshake; the default scheduler when null.</param>
    /// <param name="transport">What carries the frames, for <see cref="Transport"/>.</param>
    /// <param name="maxFrameSize">The largest frame, in bytes, at least 64; a message may use it less the 16-byte tag.</param>
    /// <param name="greeting">This side's name and capabilities, sent inside the handshake (none when null).</param>
    /// <exception cref="ArgumentNullException"><paramref name="connection"/> or <paramref name="security"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFrameSize"/> is below 64.</exception>
    public FramedSecureChannel(
        IFrameConnection connection,
        ISecurityModule security,
        HandshakeRole role,
        TimeSpan handshakeTimeout,
        IScheduler? scheduler = null,
        TransportKind transport = TransportKind.Tcp,
        int maxFrameSize = 64 * 1024,
        HandshakeGreeting? greeting = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, 64);
        _connection = connection;
        Transport = transport;
        // Every sealed frame stays within Noise's 65,535 bytes, whatever the framing would allow.
        MaxMessageSize = Math.Min(maxFrameSize, TransportLimits.MaxSealedMessageSize) - TransportLimits.TagSize;

        // The whole inbound pipeline of a stream: frames → hello + handshake → decryption.
        Messages = Observable.Defer(() =>
        {
            if (Interlocked.Exchange(ref _subscribed, 1) != 0)
                return Observable.Throw<ReadOnlySequence<byte>>(new InvalidOperationException("A secure channel's messages can be subscribed once."));
            return connection.Frames
                .Publish(frames => frames
                    .Handshake(security, role, connection.SendAsync, handshakeTimeout, scheduler, greeting)
                    .Do(session =>
                    {
                        _session = session;
                        _established.TrySetResult(session);
                    })
                    .SelectMany(session => frames.Decrypt(session.Receiver)))
                .Do(_ => { }, error => _established.TrySetException(error), () => _established.TrySetException(
                    new HandshakeException("The peer closed the connection during the handshake.")));
        });
    }

    /// <inheritdoc/>
    public IObservable<ReadOnlySequence<byte>> Messages { get; }

    /// <inheritdoc/>
    public Task<SecureSession> Established => _established.Task;

    /// <inheritdoc/>
    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <inheritdoc/>
    public TransportKind Transport { get; }

    /// <summary>Always <see cref="PathKind.Direct"/>: a stream has one path.</summary>
    public PathKind Path => PathKind.Direct;

    /// <inheritdoc/>
    public int MaxMessageSize { get; }

    /// <remarks>
    /// The message is sealed straight into the transport's buffer (see <see cref="IFrameConnection.SendAsync{TState}"/>);
    /// completes as the connection's send does: once the frame is queued, not once the peer has it.
    /// </remarks>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        // Errors travel in the returned task, as they always have for this method.
        var session = _session;
        if (session is null)
            return ValueTask.FromException(new InvalidOperationException("The handshake has not completed."));
        if (message.Length > MaxMessageSize)
            return ValueTask.FromException(new ArgumentException(
                $"A message can hold at most {MaxMessageSize} bytes; this one has {message.Length}, so it was not sent.", nameof(message)));

        // The gate keeps nonce order equal to wire order over any connection; a PipeFrameConnection also seals
        // under its own write lock, so with the gate free this costs no wait. Uncontended, the whole send
        // completes synchronously and allocates nothing.
        if (!_sendGate.Wait(0))
            return SendAfterWaitingAsync(session, message, cancellationToken);

        ValueTask sending;
        try
        {
            sending = SealAndSend(session, message, cancellationToken);
        }
        catch (Exception error)
        {
            _sendGate.Release();
            return ValueTask.FromException(error);
        }

        if (sending.IsCompletedSuccessfully)
        {
            _sendGate.Release();
            return default;
        }

        return ReleaseAfterAsync(sending);
    }

    private ValueTask SealAndSend(SecureSession session, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        _connection.SendAsync(
            message.Length + session.Sender.TagSize,
            (session.Sender, message),
            static (frame, state) => state.Sender.Seal(default, state.message.Span, frame),
            cancellationToken);

    // Pooled: the slow paths would otherwise box a state machine per message.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAfterWaitingAsync(SecureSession session, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SealAndSend(session, message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReleaseAfterAsync(ValueTask sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask CompleteAsync()
    {
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _connection.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Disposes the connection and wipes the session's keys; a pending <see cref="Established"/> fails with
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _established.TrySetException(new ObjectDisposedException(nameof(FramedSecureChannel)));
        await _connection.DisposeAsync().ConfigureAwait(false);
        _session?.Dispose();
    }
}
