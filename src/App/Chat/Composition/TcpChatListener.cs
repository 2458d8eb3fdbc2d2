using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>Accepts frame connections (TCP, or any <see cref="IFrameListener"/>) and secures each with <see cref="TcpChatConnection.Secure"/>.</summary>
internal sealed class TcpChatListener(IFrameListener listener, SecurityChoice security, ChatOptions options, IScheduler scheduler)
    : ChatListener(security, options, scheduler)
{
    public override EndPoint LocalEndPoint => listener.LocalEndPoint;

    protected override async Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            return TcpChatConnection.Secure(connection, module, HandshakeRole.Responder, Options, Scheduler);
        }
        catch (TransportException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await listener.DisposeAsync().ConfigureAwait(false);
    }
}
