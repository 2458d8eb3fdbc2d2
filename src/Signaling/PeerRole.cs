namespace SecretChat.Signaling;

/// <summary>
/// Who starts the handshake once the hole is punched. The server decides: the first peer in a room is the
/// <see cref="Responder"/>, the second the <see cref="Initiator"/> (so the one who arrived later, who knows the other
/// is already waiting, speaks first).
/// </summary>
public enum PeerRole : byte
{
    /// <summary>Sends the first handshake message: the second peer to join the room.</summary>
    Initiator = 1,
    /// <summary>Waits for the first handshake message: the first peer to join the room.</summary>
    Responder = 2,
}
