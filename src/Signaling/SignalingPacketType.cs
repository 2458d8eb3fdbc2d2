namespace SecretChat.Signaling;

/// <summary>
/// The first byte of a signaling datagram. 0x40–0x4F never collides with STUN (top two bits 00),
/// sealed session packets (0x01–0x0F) or DTLS/RTP (RFC 7983 ranges), so one UDP port can carry all of them.
/// </summary>
public enum SignalingPacketType : byte
{
    Register = 0x40,
    Registered = 0x41,
    PeerInfo = 0x42,
    Error = 0x43,
    Leave = 0x44,
    KeepAlive = 0x45,
    Relay = 0x46,
    Relayed = 0x47,
    Cookie = 0x48,
}
