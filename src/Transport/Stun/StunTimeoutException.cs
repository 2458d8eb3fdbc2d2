namespace SecretChat.Transport.Stun;

/// <summary>No STUN response arrived within the transaction timeout.</summary>
public sealed class StunTimeoutException : TimeoutException
{
    public StunTimeoutException(string server, TimeSpan waited)
        : base($"no STUN answer from {server} within {waited.TotalSeconds:0.###} s")
    {
        Server = server;
        Waited = waited;
    }

    public string Server { get; }

    public TimeSpan Waited { get; }
}
