namespace SecretChat.Security;

/// <summary>How a session's datagrams reach the peer: straight to its address, or forwarded by a relay.</summary>
public enum PathKind
{
    Direct,
    Relay,
}
