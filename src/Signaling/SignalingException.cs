namespace SecretChat.Signaling;

/// <summary>Registration at the signaling server failed; the message is one sentence for a person.</summary>
public class SignalingException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/> and, for a refusal, the server's <paramref name="code"/>.</summary>
    /// <param name="message">What failed, in one sentence for a person.</param>
    /// <param name="code">The server's refusal code; null when the failure was on this side.</param>
    public SignalingException(string message, SignalingErrorCode? code = null)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the error behind it; <see cref="Code"/> is null.</summary>
    /// <param name="message">What failed, in one sentence for a person.</param>
    /// <param name="innerException">The error behind it (a send error, for example).</param>
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
    /// <summary>Creates the exception with <paramref name="message"/>, saying which server did not answer within how long.</summary>
    /// <param name="message">Which server did not answer within how long, in one sentence for a person.</param>
    public SignalingTimeoutException(string message)
        : base(message)
    {
    }
}
