namespace SecretChat.Transport.Stun;

/// <summary>An ERROR-CODE attribute: a code from 300 to 699 and a reason phrase (RFC 8489 §14.8).</summary>
public sealed record StunErrorCode(int Code, string Reason)
{
    public const int TryAlternate = 300;
    public const int BadRequest = 400;
    public const int Unauthenticated = 401;
    public const int UnknownAttribute = 420;
    public const int StaleNonce = 438;
    public const int ServerError = 500;

    public override string ToString() => $"{Code} {Reason}";
}
