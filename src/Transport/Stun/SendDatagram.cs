using System.Net;

namespace SecretChat.Transport.Stun;

/// <summary>
/// How a transport-agnostic protocol client sends: one datagram to one destination. The caller owns the socket,
/// so STUN, signaling, hole punching and the session can share one UDP port (and one NAT mapping).
/// </summary>
public delegate ValueTask SendDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);
