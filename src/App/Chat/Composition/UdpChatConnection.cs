using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;

namespace SecretChat.Chat.Composition;

/// <summary>A chat's channel over plain UDP (<see cref="UdpSecureChannel"/>), and the UDP settings a chat maps to.</summary>
internal static class UdpChatConnection
{
    public static async Task<ISecureChannel> ConnectAsync(
        HostPort peer, ISecurityModule security, ChatOptions options, IScheduler scheduler, IHostResolver resolver, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"connecting to {peer} over udp");
        (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Connecting);
        var address = await ChatConnector.ResolveAsync(resolver, peer, "reach", cancellationToken).ConfigureAwait(false);
        ISecureChannel channel;
        try
        {
            channel = UdpSecureChannel.Connect(security, new IPEndPoint(address, peer.Port), DatagramOptions(options), ReliabilityOptions(options), scheduler);
        }
        catch (HandshakeException e)
        {
            // Refused before anything was sent (the hello cannot name the module): one sentence, as for TCP.
            throw new ChatFailedException(e.Message, e);
        }
        progress?.Report($"sending to {channel.RemoteEndPoint}; running the {security.Info.Id} handshake");
        (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Handshaking);
        return channel;
    }

    public static DatagramChannelOptions DatagramOptions(ChatOptions options) =>
        DatagramChannelOptions.Default with { HandshakeTimeout = options.HandshakeTimeout, Greeting = ChatSession.GreetingFor(options.Name) };

    public static ReliabilityOptions ReliabilityOptions(ChatOptions options) => Transport.Reliability.ReliabilityOptions.Default with
    {
        KeepAliveInterval = options.KeepAliveInterval,
        DeadPeerTimeout = options.DeadPeerTimeout,
    };
}
