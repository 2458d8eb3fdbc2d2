namespace SecretChat.Transport.Stun;

/// <summary>The two class bits of a STUN message type (RFC 8489 §5).</summary>
public enum StunClass
{
    /// <summary>A request, which expects a response.</summary>
    Request = 0,
    /// <summary>An indication, which expects no response.</summary>
    Indication = 1,
    /// <summary>A success response to a request.</summary>
    SuccessResponse = 2,
    /// <summary>An error response to a request; it carries ERROR-CODE.</summary>
    ErrorResponse = 3,
}
