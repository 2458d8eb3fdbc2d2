namespace SecretChat.Security;

/// <summary>Which side starts the handshake. TCP: the connecting side initiates; p2p: the signaling server assigns it.</summary>
public enum HandshakeRole : byte
{
    /// <summary>The side that sends the first handshake message.</summary>
    Initiator = 1,
    /// <summary>The side that waits for the first handshake message and answers it.</summary>
    Responder = 2,
}
