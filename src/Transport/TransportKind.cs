namespace SecretChat.Transport;

/// <summary>What carries a channel's bytes: a TCP stream of frames, or UDP datagrams.</summary>
public enum TransportKind
{
    /// <summary>A TCP stream carrying length-prefixed frames.</summary>
    Tcp,
    /// <summary>UDP datagrams, made reliable and ordered above the transport.</summary>
    Udp,
}
