using System.Buffers;
using System.Net;
using System.Reactive.Concurrency;
using System.Runtime.CompilerServices;
using System.Reactive.Linq;
using SecretChat.Framing;

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

    public FramedSecureChannel(
        IFrameConnection connection,
        ISecurityModule security,
        HandshakeRole role,
        TimeSpan handshakeTimeout,
        IScheduler? scheduler = null,
        string transportName = "tcp",
        int maxFrameSize = 64 * 1024)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentException.ThrowIfNullOrWhiteSpace(transportName);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, 64);
        _connection = connection;
        TransportName = transportName;
        MaxMessageSize = maxFrameSize - 16;

        // The whole inbound pipeline of a stream: frames → hello + handshake → decryption.
        Messages = Observable.Defer(() =>
        {
            if (Interlocked.Exchange(ref _subscribed, 1) != 0)
                return Observable.Throw<ReadOnlySequence<byte>>(new InvalidOperationException("A secure channel's messages can be subscribed once."));
            return connection.Frames
                .Publish(frames => frames
                    .Handshake(security, role, connection.SendAsync, handshakeTimeout, scheduler)
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

    public IObservable<ReadOnlySequence<byte>> Messages { get; }

    public Task<SecureSession> Established => _established.Task;

    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    public string TransportName { get; }

    public string PathName => "direct";

    public int MaxMessageSize { get; }

    // Pooled: over TCP every send completes asynchronously, and a boxed state machine per message was most of
    // the garbage the TCP throughput benchmark measured per message.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var session = _session ?? throw new InvalidOperationException("The handshake has not completed.");
        if (message.Length > MaxMessageSize)
            throw new ArgumentException($"A message can hold at most {MaxMessageSize} bytes; this one has {message.Length}.", nameof(message));

        var length = message.Length + session.Sender.TagSize;
        var sealedFrame = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Sealing and writing under one gate keeps the nonce order equal to the wire order.
            session.Sender.Seal(default, message.Span, sealedFrame.AsSpan(0, length));
            await _connection.SendAsync(sealedFrame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
            ArrayPool<byte>.Shared.Return(sealedFrame);
        }
    }

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

    public async ValueTask DisposeAsync()
    {
        _established.TrySetException(new ObjectDisposedException(nameof(FramedSecureChannel)));
        await _connection.DisposeAsync().ConfigureAwait(false);
        _session?.Dispose();
    }
}
