namespace SecretChat.Transport.Stun;

/// <summary>No STUN response arrived within the transaction timeout.</summary>
public sealed class StunTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for <paramref name="server"/>, which did not answer within <paramref name="waited"/>.</summary>
    /// <param name="server">The server's address, as text for the message.</param>
    /// <param name="waited">How long the transaction waited, retransmissions included.</param>
    public StunTimeoutException(string server, TimeSpan waited)
        : base($"no STUN answer from {server} within {waited.TotalSeconds:0.###} s")
    {
        Server = server;
        Waited = waited;
    }

    /// <summary>The server that did not answer, as text.</summary>
    public string Server { get; }

    /// <summary>How long the transaction waited, retransmissions included.</summary>
    public TimeSpan Waited { get; }
}
