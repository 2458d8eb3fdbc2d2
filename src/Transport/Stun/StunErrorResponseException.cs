namespace SecretChat.Transport.Stun;

/// <summary>The STUN server answered with an error response.</summary>
public sealed class StunErrorResponseException : Exception
{
    /// <summary>Creates the exception for the error response of <paramref name="server"/>.</summary>
    /// <param name="server">The server's address, as text for the message.</param>
    /// <param name="error">The response's ERROR-CODE, or <see langword="null"/> when it had none.</param>
    public StunErrorResponseException(string server, StunErrorCode? error)
        : base(error is null
            ? $"the STUN server {server} answered with an error response without ERROR-CODE"
            : $"the STUN server {server} answered {error.Code} {error.Reason}")
    {
        Server = server;
        Error = error;
    }

    /// <summary>The server that answered, as text.</summary>
    public string Server { get; }

    /// <summary>The response's ERROR-CODE, or <see langword="null"/> when it had none.</summary>
    public StunErrorCode? Error { get; }
}
