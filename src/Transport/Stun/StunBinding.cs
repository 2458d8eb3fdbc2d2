using System.Net;

namespace SecretChat.Transport.Stun;

/// <summary>The answer to a Binding request: which server, and the address it saw us at (our server-reflexive address).</summary>
public sealed record StunBinding(IPEndPoint Server, IPEndPoint MappedAddress, string? ServerSoftware);
