namespace SecretChat.Transport;

/// <summary>What carries a channel's bytes: a TCP stream of frames, or UDP datagrams.</summary>
public enum TransportKind
{
    Tcp,
    Udp,
}
