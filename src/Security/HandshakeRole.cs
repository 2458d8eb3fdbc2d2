namespace SecretChat.Security;

/// <summary>Which side starts the handshake. TCP: the connecting side initiates; p2p: the signaling server assigns it.</summary>
public enum HandshakeRole : byte
{
    Initiator = 1,
    Responder = 2,
}
