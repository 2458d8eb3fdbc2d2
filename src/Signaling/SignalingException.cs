namespace SecretChat.Signaling;

/// <summary>Registration at the signaling server failed; the message is one sentence for a person.</summary>
public class SignalingException : Exception
{
    public SignalingException(string message, SignalingErrorCode? code = null)
        : base(message)
    {
        Code = code;
    }

    public SignalingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The server's refusal code; null when the failure was on our side (no answer, send error).</summary>
    public SignalingErrorCode? Code { get; }
}

/// <summary>The signaling server did not answer (or stopped answering) in time.</summary>
public sealed class SignalingTimeoutException : SignalingException
{
    public SignalingTimeoutException(string message)
        : base(message)
    {
    }
}
