using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// A secure channel to one peer over its own UDP socket: the socket feeds a <see cref="SecureDatagramChannel"/>,
/// which carries a <see cref="ReliableSession"/>. The returned channel owns the socket.
/// </summary>
public static class UdpSecureChannel
{
    /// <summary>
    /// Binds a socket on any free port of <paramref name="peer"/>'s address family and starts the handshake toward
    /// <paramref name="peer"/> as the initiator; the channel's <see cref="ISecureChannel.Established"/> tells how it goes.
    /// </summary>
    public static ReliableDatagramChannel Connect(
        ISecurityModule security,
        IPEndPoint peer,
        DatagramChannelOptions? options = null,
        ReliabilityOptions? reliability = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(peer);
        scheduler ??= DefaultScheduler.Instance;
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(peer.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        try
        {
            var datagrams = SecureDatagramChannel.Connect(security, peer, socket.SendAsync, options, scheduler);
            var wiring = socket.Datagrams.Subscribe(d => datagrams.Receive(d.RemoteEndPoint, d.Payload.Span));
            return new ReliableDatagramChannel(datagrams, reliability ?? new ReliabilityOptions(), scheduler, owned: new SocketWiring(wiring, socket));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Disposes a socket's subscription and then the socket, as one.</summary>
    internal sealed class SocketWiring(IDisposable wiring, UdpDatagramSocket socket) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            wiring.Dispose();
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }
}
