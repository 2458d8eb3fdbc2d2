namespace SecretChat.Security;

/// <summary>How a session's datagrams reach the peer: straight to its address, or forwarded by a relay.</summary>
public enum PathKind
{
    /// <summary>Datagrams go straight to the peer's address (a direct or hole-punched path).</summary>
    Direct,
    /// <summary>Datagrams are forwarded by the signaling server's relay; it sees only sealed packets.</summary>
    Relay,
}
