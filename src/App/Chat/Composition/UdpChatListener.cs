using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Datagrams;

namespace SecretChat.Chat.Composition;

/// <summary>
/// One UDP socket (<see cref="UdpSecureListener"/>): peers prove their address with a cookie, then handshake side by side;
/// each peer whose handshake fails becomes a rejection (those of unproven sources rate limited, 5 a second). The socket
/// feeds every channel (by source, and by session id once established), so a newcomer during a session is told the
/// listener is busy, as over TCP.
/// </summary>
internal sealed class UdpChatListener : ChatListener
{
    private readonly UdpSecureListener _listener;
    private readonly Action<UdpHandshakeFailure> _failed;

    public UdpChatListener(IPEndPoint endPoint, SecurityChoice security, ChatOptions options, IScheduler scheduler)
        : base(security, options, scheduler)
    {
        _failed = failure => Reject(failure.Peer, failure.Error.Message);
        // Bound in the body, after the base constructor: the socket answers at once, and a refusal it reports before
        // the first AcceptAsync reaches the accept loop (which asks for channels on the thread pool) is a rejection too.
        _listener = UdpSecureListener.Bind(
            endPoint, security.Module, UdpChatConnection.DatagramOptions(options), UdpChatConnection.ReliabilityOptions(options), scheduler, _failed);
    }

    public override EndPoint LocalEndPoint => _listener.LocalEndPoint;

    protected override async Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken) =>
        await _listener.AcceptAsync(_failed, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
    }
}
