namespace SecretChat.Security;

/// <summary>Why a session moved to another path.</summary>
public enum PathMoveReason
{
    /// <summary>The peer's address changed (a NAT rebinding): an authenticated packet came from a new address.</summary>
    Roamed,

    /// <summary>While relayed, a direct path to the peer answered.</summary>
    Upgraded,

    /// <summary>The peer moved to the relay, and nothing arrives on the direct path any more.</summary>
    FollowedPeerToRelay,

    /// <summary>This side kept sending on the direct path and heard nothing back for too long.</summary>
    DirectSilent,

    /// <summary>The TURN relay the session used stopped relaying (its allocation was lost); the session moved to the other relay.</summary>
    RelayLost,
}
