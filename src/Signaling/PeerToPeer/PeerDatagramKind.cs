using SecretChat.Framing.Packets;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>What a datagram on a p2p socket is, by its first byte: the protocols sharing the port use disjoint ranges.</summary>
internal enum PeerDatagramKind
{
    /// <summary>Empty, or a first byte no protocol here uses.</summary>
    Unknown,

    /// <summary>A packet of the sealed session (<see cref="PacketType"/>, 0x01–0x0F).</summary>
    Session,

    /// <summary>A signaling packet (<see cref="SignalingPacketType"/>, 0x40–0x4F), relayed datagrams included.</summary>
    Signaling,

    /// <summary>A punch probe (0x50): it opened the sender's NAT toward us and carries nothing.</summary>
    Probe,
}

/// <summary>The first-byte ranges of the protocols on a p2p socket, and the punch probe.</summary>
internal static class PeerDatagrams
{
    /// <summary>Punch probes: a type outside the session (0x01–0x0F) and signaling (0x40–0x4F) ranges, dropped on receipt.</summary>
    public static readonly byte[] Probe = [0x50, (byte)'S', (byte)'C', (byte)'P', (byte)'1'];

    public static PeerDatagramKind Classify(ReadOnlySpan<byte> datagram) => datagram.IsEmpty
        ? PeerDatagramKind.Unknown
        : datagram[0] switch
        {
            >= 0x01 and <= 0x0F => PeerDatagramKind.Session,
            >= 0x40 and <= 0x4F => PeerDatagramKind.Signaling,
            0x50 => PeerDatagramKind.Probe,
            _ => PeerDatagramKind.Unknown,
        };
}
