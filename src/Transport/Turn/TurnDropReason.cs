namespace SecretChat.Transport.Turn;

/// <summary>Why a datagram from the TURN server's address was dropped (each is counted, none is thrown).</summary>
public enum TurnDropReason
{
    /// <summary>Neither well-formed STUN nor well-formed ChannelData (truncated, oversize, bad FINGERPRINT...).</summary>
    Malformed = 0,
    /// <summary>A TURN response whose transaction id is not one this client has outstanding.</summary>
    UnknownTransaction = 1,
    /// <summary>A response whose MESSAGE-INTEGRITY is missing or does not verify with the key.</summary>
    BadIntegrity = 2,
    /// <summary>ChannelData on a channel this client never bound.</summary>
    UnboundChannel = 3,
    /// <summary>A Data indication from a peer this client gave no permission.</summary>
    UnpermittedPeer = 4,
    /// <summary>A well-formed message this client has no use for here (a request, an unexpected method or class).</summary>
    Unexpected = 5,
}
