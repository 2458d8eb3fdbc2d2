namespace SecretChat.Transport.Stun;

/// <summary>The STUN server answered with an error response.</summary>
public sealed class StunErrorResponseException : Exception
{
    public StunErrorResponseException(string server, StunErrorCode? error)
        : base(error is null
            ? $"the STUN server {server} answered with an error response without ERROR-CODE"
            : $"the STUN server {server} answered {error.Code} {error.Reason}")
    {
        Server = server;
        Error = error;
    }

    public string Server { get; }

    public StunErrorCode? Error { get; }
}
