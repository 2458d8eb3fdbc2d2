namespace SecretChat.Signaling;

/// <summary>
/// The first byte of a signaling datagram. 0x40–0x4F never collides with STUN (top two bits 00),
/// sealed session packets (0x01–0x0F) or DTLS/RTP (RFC 7983 ranges), so one UDP port can carry all of them.
/// </summary>
public enum SignalingPacketType : byte
{
    /// <summary>Client to server: join a room (<see cref="RegisterPacket"/>).</summary>
    Register = 0x40,
    /// <summary>Server to client: in the room, waiting for the other peer (<see cref="RegisteredPacket"/>).</summary>
    Registered = 0x41,
    /// <summary>Server to both clients: the other peer's candidates and when to punch (<see cref="PeerInfoPacket"/>).</summary>
    PeerInfo = 0x42,
    /// <summary>Server to client: refused, with a reason (<see cref="ErrorPacket"/>).</summary>
    Error = 0x43,
    /// <summary>Client to server: done with the room (<see cref="LeavePacket"/>).</summary>
    Leave = 0x44,
    /// <summary>Client to server: keeps the room and the NAT mapping alive (<see cref="KeepAlivePacket"/>).</summary>
    KeepAlive = 0x45,
    /// <summary>Client to server: forward a sealed datagram to the other peer (<see cref="RelayPacket"/>).</summary>
    Relay = 0x46,
    /// <summary>Server to client: a datagram the other peer asked the server to forward (<see cref="RelayedPacket"/>).</summary>
    Relayed = 0x47,
    /// <summary>Server to client: prove you receive at your address, then send again with this cookie (<see cref="CookiePacket"/>).</summary>
    Cookie = 0x48,
    /// <summary>Server to client: relay through the room's home node from now on (<see cref="RedirectPacket"/>).</summary>
    Redirect = 0x49,
    /// <summary>Server to a member: credentials for the TURN server it may relay through (<see cref="TurnCredentialsPacket"/>).</summary>
    TurnCredentials = 0x4A,
    /// <summary>Between the members, through the server: a member's relayed address at the TURN server (<see cref="TurnAddressPacket"/>).</summary>
    TurnAddress = 0x4B,
}
