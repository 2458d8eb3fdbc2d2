using System.Buffers;
using System.Net;
using System.Reactive.Linq;
using SecretChat.Transport;

namespace SecretChat.Security;

/// <summary>
/// A secure, reliable, ordered message channel to one peer: what a chat runs on, whatever carries it
/// (sealed frames over TCP, or the sealed reliable datagram session over UDP).
/// </summary>
/// <remarks>
/// <see cref="Messages"/> is cold and may be subscribed once: subscribing starts the handshake.
/// <see cref="Established"/> completes before the first message is emitted. Each message is valid only
/// during its <c>OnNext</c>. The sequence completes when the peer closes its sending direction cleanly,
/// and fails with <see cref="HandshakeException"/>, <see cref="AuthenticationFailedException"/>, an
/// <see cref="IOException"/> (with a clear message) or <see cref="TimeoutException"/> (dead peer) otherwise.
/// </remarks>
public interface ISecureChannel : IAsyncDisposable
{
    /// <summary>Decrypted messages from the peer; see the remarks.</summary>
    IObservable<ReadOnlySequence<byte>> Messages { get; }

    /// <summary>Completes with the session when the handshake completes; fails as <see cref="Messages"/> does before that.</summary>
    Task<SecureSession> Established { get; }

    /// <summary>Seals and sends one message; messages arrive in the order of these calls. Only after <see cref="Established"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>
    /// This side sends nothing more: the peer's <see cref="Messages"/> completes after everything sent
    /// before. Completes once that close is handed to the transport.
    /// </summary>
    ValueTask CompleteAsync();

    /// <summary>The peer's current address, where the transport has one.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>What carries the channel: TCP or UDP.</summary>
    TransportKind Transport { get; }

    /// <summary>The path in use: direct or through a relay.</summary>
    PathKind Path { get; }

    /// <summary>The largest message <see cref="SendAsync"/> accepts.</summary>
    int MaxMessageSize { get; }

    /// <summary>Each move to another path (relay to direct and back); channels with one path never emit.</summary>
    IObservable<PathChange> PathChanges => Observable.Never<PathChange>();

    /// <summary>Things the user should know that do not end the session (e.g. a relay limit was hit).</summary>
    IObservable<string> Notices => Observable.Never<string>();

    /// <summary>Where the traffic goes now: the path, the peer's address and, where known, the round trip and what the NATs did.</summary>
    PathReport ReportPath() => new(Transport, Path, RemoteEndPoint);
}
