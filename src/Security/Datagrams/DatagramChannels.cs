using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// The datagram stack over any <see cref="IDatagramTransport"/> (a UDP socket, a simulated link, your own): the
/// transport's datagrams feed a <see cref="SecureDatagramChannel"/> (handshake, sealing, replay window), which carries
/// a <see cref="ReliableSession"/> (order, retransmission, keepalives). The transport stays the caller's: disposing
/// the returned channel unsubscribes from it but does not close it.
/// </summary>
public static class DatagramChannels
{
    /// <summary>Starts the handshake toward <paramref name="peer"/> as the initiator.</summary>
    /// <param name="transport">Carries the datagrams; the caller owns it.</param>
    /// <param name="peer">The peer's address on <paramref name="transport"/>.</param>
    /// <param name="security">The security module; the peer must use one with the same identifier.</param>
    /// <param name="options">Handshake timeout and datagram sizes (the defaults when null).</param>
    /// <param name="reliability">Retransmission, keepalive and dead-peer settings (the defaults when null).</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    public static ReliableDatagramChannel Connect(
        IDatagramTransport transport,
        IPEndPoint peer,
        ISecurityModule security,
        DatagramChannelOptions? options = null,
        ReliabilityOptions? reliability = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(security);
        scheduler ??= DefaultScheduler.Instance;
        var datagrams = SecureDatagramChannel.Connect(security, peer, transport.SendAsync, options, scheduler);
        return Wire(transport, datagrams, reliability, scheduler);
    }

    /// <summary>
    /// Waits, as the responder, for the first peer whose hello arrives on <paramref name="transport"/> and runs the
    /// handshake with it (one peer; for one session per peer on a socket use <see cref="UdpSecureListener"/>).
    /// </summary>
    /// <inheritdoc cref="Connect" path="/param"/>
    public static ReliableDatagramChannel Accept(
        IDatagramTransport transport,
        ISecurityModule security,
        DatagramChannelOptions? options = null,
        ReliabilityOptions? reliability = null,
        IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(security);
        scheduler ??= DefaultScheduler.Instance;
        var datagrams = SecureDatagramChannel.Accept(security, transport.SendAsync, options, scheduler);
        return Wire(transport, datagrams, reliability, scheduler);
    }

    private static ReliableDatagramChannel Wire(
        IDatagramTransport transport, SecureDatagramChannel datagrams, ReliabilityOptions? reliability, IScheduler scheduler)
    {
        var wiring = transport.Datagrams.Subscribe(d => datagrams.Receive(d.RemoteEndPoint, d.Payload.Span));
        return new ReliableDatagramChannel(datagrams, reliability ?? new ReliabilityOptions(), scheduler, owned: new Unsubscribing(wiring))
        {
            Transport = transport.Transport,
        };
    }

    private sealed class Unsubscribing(IDisposable wiring) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            wiring.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
