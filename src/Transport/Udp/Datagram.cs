using System.Net;

namespace SecretChat.Transport.Udp;

/// <summary>
/// One received datagram. <see cref="Payload"/> lies in the socket's receive buffer and is valid only
/// during the <c>OnNext</c> that carries it: a consumer that keeps it copies it.
/// </summary>
public readonly record struct Datagram(IPEndPoint RemoteEndPoint, ReadOnlyMemory<byte> Payload);
