using System.Net;

namespace SecretChat.Transport;

/// <summary>
/// The one shape of "send a datagram" in this library: one datagram to one destination
/// (<see cref="IDatagramTransport.SendAsync"/> as a delegate). Protocol clients that do not own the socket (STUN,
/// signaling, the secure datagram channel) send through it, so hole punching, signaling and the session can share
/// one UDP port and one NAT mapping. The datagram is the caller's again once the returned task completes.
/// </summary>
public delegate ValueTask SendDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);
