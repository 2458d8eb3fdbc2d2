using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>A chat's channel over TCP: a framed stream secured by <see cref="FramedSecureChannel"/>.</summary>
internal static class TcpChatConnection
{
    public static async Task<ISecureChannel> ConnectAsync(
        HostPort peer, ISecurityModule security, ChatOptions options, IScheduler scheduler, IHostResolver resolver, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"connecting to {peer} over tcp");
        (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Connecting);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        ISecureChannel channel;
        try
        {
            var connection = await TcpTransport.ConnectAsync(peer.Host, peer.Port, cancellationToken: timeout.Token, resolver: resolver).ConfigureAwait(false);
            channel = Secure(connection, security, HandshakeRole.Initiator, options, scheduler);
        }
        catch (TransportException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChatFailedException($"Could not connect to {peer} within {options.HandshakeTimeout.TotalSeconds:0.#} s.");
        }
        progress?.Report($"connected to {channel.RemoteEndPoint}; running the {security.Info.Id} handshake");
        (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Handshaking);
        return channel;
    }

    /// <summary>The secure channel over an accepted or connected frame connection (named as the connection names itself).</summary>
    public static FramedSecureChannel Secure(IFrameConnection connection, ISecurityModule security, HandshakeRole role, ChatOptions options, IScheduler scheduler) =>
        new(connection, security, role, options.HandshakeTimeout, scheduler, (connection as IDescribedConnection)?.Transport ?? TransportKind.Other,
            greeting: ChatSession.GreetingFor(options.Name));
}
