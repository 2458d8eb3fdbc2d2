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
    /// <summary>
    /// 420 Unknown Attribute: the request had comprehension-required attributes the server does not understand.
    /// </summary>
    public const int UnknownAttribute = 420;
    /// <summary>438 Stale Nonce: retry with the NONCE of this response.</summary>
    public const int StaleNonce = 438;
    /// <summary>500 Server Error: a temporary failure of the server; retry later.</summary>
    public const int ServerError = 500;

    /// <summary>The code and reason, as in <c>420 Unknown Attribute</c>.</summary>
    public override string ToString() => $"{Code} {Reason}";
}
