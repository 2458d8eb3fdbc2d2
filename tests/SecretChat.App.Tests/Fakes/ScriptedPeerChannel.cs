using System.Collections.Concurrent;
using System.Buffers;
using System.Net;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using System.Text;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Ciphers;

namespace SecretChat.App.Tests.Fakes;

/// <summary>
/// A secure channel whose peer is the test: the test establishes it with the peer's handshake greeting
/// (<see cref="Establish"/>), pushes the peer's envelopes (in any order, including ones a real peer would never
/// send) and sees what the chat sent.
/// </summary>
internal sealed class ScriptedPeerChannel : ISecureChannel
{
    private readonly Subject<ReadOnlySequence<byte>> _inbound = new();
    private readonly ReplaySubject<(EnvelopeHeader Header, string Body, byte[] Bytes)> _sent = new();
    private readonly TaskCompletionSource<SecureSession> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<EnvelopeKind> _sentKinds = new();
    private readonly Subject<PathChange> _pathChanges = new();

    public IObservable<ReadOnlySequence<byte>> Messages => _inbound;

    public Task<SecureSession> Established => _established.Task;

    public IObservable<PathChange> PathChanges => _pathChanges;

    /// <summary>The session's path moves (as a p2p session's path manager reports it).</summary>
    public void MovePath(PathChange change) => _pathChanges.OnNext(change);

    /// <summary>The handshake completes: the peer introduced itself as <paramref name="peerName"/> inside it (protocol 2).</summary>
    public void Establish(string peerName) => Establish(peerName, ["text"]);

    /// <summary>The handshake completes: the peer introduced itself as <paramref name="peerName"/>, announcing <paramref name="capabilities"/>.</summary>
    public void Establish(string peerName, IReadOnlyList<string> capabilities) => _established.TrySetResult(new SecureSession(
        BuiltInModules.Pseudo, new PlaintextCipherState(), new PlaintextCipherState(), new byte[32],
        peerGreeting: new HandshakeGreeting(peerName, capabilities)));

    public EndPoint? RemoteEndPoint => new IPEndPoint(IPAddress.Loopback, 5000);

    public SecretChat.Transport.TransportKind Transport => SecretChat.Transport.TransportKind.Tcp;

    public PathKind Path => PathKind.Direct;

    public int MaxMessageSize => 1024;

    private readonly TaskCompletionSource _halfClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the chat half-closes (sends its end of stream).</summary>
    public Task HalfClosed => _halfClosed.Task;

    /// <summary>The envelopes the chat sent, in order.</summary>
    public IObservable<(EnvelopeHeader Header, string Body, byte[] Bytes)> Sent => _sent;

    /// <summary>The kinds of the envelopes the chat has sent so far, in order.</summary>
    public IReadOnlyCollection<EnvelopeKind> SentKinds => _sentKinds.ToArray();

    /// <summary>The peer sends one envelope; the chat handles it before this returns.</summary>
    public void Receive(EnvelopeKind kind, ulong id = 0, string body = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var envelope = new byte[EnvelopeCodec.GetEncodedLength(bytes.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(kind, id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), bytes, envelope);
        _inbound.OnNext(new ReadOnlySequence<byte>(envelope));
    }

    /// <summary>The peer sends bytes that are not necessarily an envelope.</summary>
    public void ReceiveRaw(byte[] plaintext) => _inbound.OnNext(new ReadOnlySequence<byte>(plaintext));

    /// <summary>The peer sends a Close with <paramref name="reason"/> and <paramref name="text"/>.</summary>
    public void ReceiveClose(CloseReason reason, string text)
    {
        var body = new CloseBody(reason, text).Encode();
        var envelope = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(EnvelopeKind.Close, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), body, envelope);
        _inbound.OnNext(new ReadOnlySequence<byte>(envelope));
    }

    /// <summary>The peer closes its side of the connection (end of stream).</summary>
    public void EndOfStream() => _inbound.OnCompleted();

    /// <summary>The first envelope of <paramref name="kind"/> the chat sends (or has sent).</summary>
    public Task<(EnvelopeHeader Header, string Body, byte[] Bytes)> NextSentAsync(EnvelopeKind kind, int skip = 0) =>
        _sent.Where(e => e.Header.Kind == kind).Skip(skip).FirstAsync().ToTask();

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (!EnvelopeCodec.TryDecode(message.Span, out var header, out var body))
            throw new InvalidDataException("the chat sent a message shorter than an envelope header");
        _sentKinds.Enqueue(header.Kind);
        _sent.OnNext((header, Encoding.UTF8.GetString(body), body.ToArray()));
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync()
    {
        _halfClosed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
