namespace SecretChat.Transport.Stun;

/// <summary>An ERROR-CODE attribute: a code from 300 to 699 and a reason phrase (RFC 8489 §14.8).</summary>
public sealed record StunErrorCode(int Code, string Reason)
{
    /// <summary>300 Try Alternate: use the server in ALTERNATE-SERVER.</summary>
    public const int TryAlternate = 300;
    /// <summary>400 Bad Request: the request was malformed.</summary>
    public const int BadRequest = 400;
    /// <summary>401 Unauthenticated: the request lacked valid credentials.</summary>
    public const int Unauthenticated = 401;
    /// <summary>403 Forbidden: the TURN server will not do this for this user, such as relaying to that peer (RFC 8656).</summary>
    public const int Forbidden = 403;
    /// <summary>
    /// 420 Unknown Attribute: the request had comprehension-required attributes the server does not understand.
    /// </summary>
    public const int UnknownAttribute = 420;
    /// <summary>438 Stale Nonce: retry with the NONCE of this response.</summary>
    public const int StaleNonce = 438;
    /// <summary>437 Allocation Mismatch: the TURN server has no allocation for this 5-tuple, or already has one (RFC 8656).</summary>
    public const int AllocationMismatch = 437;
    /// <summary>441 Wrong Credentials: the request's credentials are not those of the allocation (RFC 8656).</summary>
    public const int WrongCredentials = 441;
    /// <summary>442 Unsupported Transport Protocol: the TURN server does not relay over the requested transport (RFC 8656).</summary>
    public const int UnsupportedTransportProtocol = 442;
    /// <summary>443 Peer Address Family Mismatch: the peer's address family differs from the relayed address's (RFC 8656).</summary>
    public const int PeerAddressFamilyMismatch = 443;
    /// <summary>486 Allocation Quota Reached: this user may not have more allocations on the TURN server (RFC 8656).</summary>
    public const int AllocationQuotaReached = 486;
    /// <summary>500 Server Error: a temporary failure of the server; retry later.</summary>
    public const int ServerError = 500;

    /// <summary>508 Insufficient Capacity: the TURN server has no relayed address or port left (RFC 8656).</summary>
    public const int InsufficientCapacity = 508;

    /// <summary>The code and reason, as in <c>420 Unknown Attribute</c>.</summary>
    public override string ToString() => $"{Code} {Reason}";
}
