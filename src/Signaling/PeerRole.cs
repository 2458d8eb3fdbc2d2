namespace SecretChat.Signaling;

/// <summary>
/// Who starts the handshake once the hole is punched. The server decides: the first peer in a room is the
/// <see cref="Responder"/>, the second the <see cref="Initiator"/> (so the one who arrived later, who knows the other
/// is already waiting, speaks first).
/// </summary>
public enum PeerRole : byte
{
    Initiator = 1,
    Responder = 2,
}
