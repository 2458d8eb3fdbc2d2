using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Chat.Composition;

/// <summary>Hands out one session per peer that completes its handshake; the others become rejections.</summary>
internal abstract class ChatListener(SecurityChoice security, ChatOptions options, IScheduler scheduler) : IChatListener
{
    private readonly Subject<string> _rejections = new();

    public abstract EndPoint LocalEndPoint { get; }

    public IObservable<string> Rejections => _rejections.AsObservable();

    protected ChatOptions Options => options;

    protected IScheduler Scheduler => scheduler;

    public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            progress?.Report($"waiting for a peer on {LocalEndPoint}");
            var channel = await NextChannelAsync(security.Module, cancellationToken).ConfigureAwait(false);
            progress?.Report($"a peer is here; running the {options.Encryption.Id} handshake");
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
