using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Hands out one session per peer that completes its handshake; the others become rejections. Build one over any
/// frame listener (<see cref="Over"/>) or a UDP socket that serves many peers (<see cref="Udp"/>), with any security
/// module; or derive from it for a transport of your own.
/// </summary>
/// <param name="security">The module and its verification; the listener disposes it when disposed.</param>
/// <param name="options">The session's name and timeouts.</param>
/// <param name="scheduler">The clock of every timer.</param>
public abstract class ChatListener(SecurityChoice security, ChatOptions options, IScheduler scheduler) : IChatListener
{
    private readonly Subject<string> _rejections = new();

    /// <summary>
    /// A chat listener over <paramref name="listener"/> (a <see cref="TcpFrameListener"/>, or a listener of your own
    /// transport): each accepted connection is secured by <paramref name="security"/> as the responder.
    /// </summary>
    /// <param name="listener">Hands out the connections; the chat listener owns and disposes it.</param>
    /// <param name="security">The module and its verification; the chat listener owns and disposes it.</param>
    /// <param name="options">The session's name and timeouts (<see cref="ChatOptions.EndPoint"/> is not used).</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    public static IChatListener Over(IFrameListener listener, SecurityChoice security, ChatOptions options, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(options);
        return new TcpChatListener(listener, security, options, scheduler ?? DefaultScheduler.Instance);
    }

    /// <summary>
    /// A chat listener on one UDP socket bound to <paramref name="endPoint"/>, serving peers one after another; a peer
    /// whose handshake fails becomes a rejection.
    /// </summary>
    /// <param name="endPoint">Where to bind (port 0 picks a free one).</param>
    /// <param name="security">The module and its verification; the chat listener owns and disposes it.</param>
    /// <param name="options">The session's name, timeouts, keepalive and dead-peer settings.</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound.</exception>
    public static IChatListener Udp(IPEndPoint endPoint, SecurityChoice security, ChatOptions options, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(options);
        return new UdpChatListener(endPoint, security, options, scheduler ?? DefaultScheduler.Instance);
    }

    /// <inheritdoc />
    public abstract EndPoint LocalEndPoint { get; }

    /// <inheritdoc />
    public IObservable<string> Rejections => _rejections.AsObservable();

    /// <summary>The options every session gets.</summary>
    protected ChatOptions Options => options;

    /// <summary>The clock of every timer.</summary>
    protected IScheduler Scheduler => scheduler;

    /// <inheritdoc />
    public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            progress?.Report($"waiting for a peer on {LocalEndPoint}");
            var channel = await NextChannelAsync(security.Module, cancellationToken).ConfigureAwait(false);
            progress?.Report($"a peer is here; running the {security.Module.Info.Id} handshake");
            try
            {
                return await ChatConnector.StartSessionAsync(channel, security.NewVerifier(), options, scheduler, cancellationToken).ConfigureAwait(false);
            }
            catch (ChatFailedException e)
            {
                Reject(channel.RemoteEndPoint, e.Message);
            }
        }
    }

    /// <summary>Stops listening and disposes the security choice; sessions already handed out stay open.</summary>
    public virtual ValueTask DisposeAsync()
    {
        _rejections.OnCompleted();
        security.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reports a peer that did not become a session; the listener goes on.</summary>
    protected void Reject(EndPoint? from, string reason) => _rejections.OnNext($"{from?.ToString() ?? "a peer"}: {reason}");

    /// <summary>The next peer's channel, with its handshake under way.</summary>
    protected abstract Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken);
}
