using System.Buffers;
using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// Two ends of the full SecretChat stream pipeline (frames, hello and handshake, sealed frames) joined by
/// any pair of frame connections: <see cref="FramedSecureChannel"/> on each side, both subscribed.
/// </summary>
public sealed class SecureChannelPair : IAsyncDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly IDisposable _initiatorSubscription;
    private readonly IDisposable _responderSubscription;

    private SecureChannelPair(FramedSecureChannel initiator, FramedSecureChannel responder, Action<ReadOnlySequence<byte>>? onResponderMessage)
    {
        Initiator = initiator;
        Responder = responder;
        _initiatorSubscription = initiator.Messages.Subscribe(_ => { }, _ => { });
        _responderSubscription = responder.Messages.Subscribe(onResponderMessage ?? (_ => { }), _ => { });
    }

    public FramedSecureChannel Initiator { get; }

    public FramedSecureChannel Responder { get; }

    /// <summary>Runs the hello and the handshake on both sides and returns once both hold a session.</summary>
    /// <param name="onResponderMessage">Sees every message the responder receives (valid only during the call).</param>
    public static async Task<SecureChannelPair> EstablishAsync(
        IFrameConnection initiatorConnection,
        IFrameConnection responderConnection,
        (ISecurityModule Initiator, ISecurityModule Responder) security,
        Action<ReadOnlySequence<byte>>? onResponderMessage = null)
    {
        var pair = new SecureChannelPair(
            new FramedSecureChannel(initiatorConnection, security.Initiator, HandshakeRole.Initiator, HandshakeTimeout),
            new FramedSecureChannel(responderConnection, security.Responder, HandshakeRole.Responder, HandshakeTimeout),
            onResponderMessage);
        try
        {
            await Task.WhenAll(pair.Initiator.Established, pair.Responder.Established).ConfigureAwait(false);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _initiatorSubscription.Dispose();
        _responderSubscription.Dispose();
        await Initiator.DisposeAsync().ConfigureAwait(false);
        await Responder.DisposeAsync().ConfigureAwait(false);
    }
}
