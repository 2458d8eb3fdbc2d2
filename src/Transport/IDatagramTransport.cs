using System.Net;
using SecretChat.Transport.Udp;

namespace SecretChat.Transport;

/// <summary>
/// Datagrams to and from addresses: a UDP socket (<see cref="UdpDatagramSocket"/>), one end of a simulated link
/// (<see cref="Simulation.SimulatedEndpoint"/>), or your own. The datagram stack (handshake, sealing, reliability)
/// runs over any of them.
/// </summary>
/// <remarks>
/// Buffers: <see cref="SendAsync"/> does not keep <c>datagram</c> after the returned task completes (the caller may
/// reuse it then); a received <see cref="Datagram.Payload"/> is valid only during the <c>OnNext</c> that carries it.
/// </remarks>
public interface IDatagramTransport
{
    /// <summary>This end's address, as its peers see it on a local network.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>What carries the datagrams, as a chat over them reports it.</summary>
    TransportKind Transport { get; }

    /// <summary>Received datagrams. Hot: datagrams arriving with no subscriber are gone, as on a real socket.</summary>
    IObservable<Datagram> Datagrams { get; }

    /// <summary>
    /// Sends one datagram: the one shape of "send a datagram" in this library (<see cref="SendDatagram"/> is this
    /// method as a delegate). A datagram that cannot go out is lost, never an error, unless the transport is closed.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default);
}
