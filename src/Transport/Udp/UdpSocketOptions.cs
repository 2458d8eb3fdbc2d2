using SecretChat.Framing.Packets;

namespace SecretChat.Transport.Udp;

/// <summary>Buffers and sizes of a <see cref="UdpDatagramSocket"/>.</summary>
public sealed record UdpSocketOptions
{
    /// <summary>The defaults, used when no options are given.</summary>
    public static UdpSocketOptions Default { get; } = new();

    /// <summary>The largest datagram received or sent; larger inbound datagrams are dropped (the session uses 1200).</summary>
    public int MaxDatagramSize { get; init; } = PacketCodec.MaxDatagramSize;

    /// <summary>The kernel receive buffer asked for, so bursts are not lost while the loop is busy; the OS may cap it (Linux: net.core.rmem_max).</summary>
    public int ReceiveBufferSize { get; init; } = 4 * 1024 * 1024;
}
