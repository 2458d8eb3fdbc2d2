namespace SecretChat.Transport;

/// <summary>What carries a channel's bytes, as a chat reports it.</summary>
public enum TransportKind
{
    /// <summary>A TCP stream of frames.</summary>
    Tcp,

    /// <summary>UDP datagrams.</summary>
    Udp,

    /// <summary>In-process pipes (<see cref="InMemoryFrameTransport"/>) or a simulated link.</summary>
    InMemory,

    /// <summary>A transport this library does not know (a Unix domain socket, your own).</summary>
    Other,
}

/// <summary>A connection that says what carries it, so a chat over it reports the right transport.</summary>
public interface IDescribedConnection
{
    /// <summary>What carries the connection.</summary>
    TransportKind Transport { get; }
}
