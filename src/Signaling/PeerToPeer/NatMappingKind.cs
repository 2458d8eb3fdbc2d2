namespace SecretChat.Signaling.PeerToPeer;

/// <summary>How a peer's NAT maps its one socket toward different destinations (RFC 4787 §4.1), as the peer learned it.</summary>
internal enum NatMappingKind : byte
{
    /// <summary>Not known: only one signaling server to compare with, or the second did not answer.</summary>
    Unknown = 0,

    /// <summary>No NAT: the servers see the socket's own address.</summary>
    None = 1,

    /// <summary>One public port toward every destination ("easy", cone): the announced reflexive address reaches it.</summary>
    EndpointIndependent = 2,

    /// <summary>A new public port per destination ("hard", symmetric): the announced reflexive address only reaches it from the server.</summary>
    EndpointDependent = 3,
}

/// <summary>
/// The mapping notice a peer sends the other through the signaling server's relay once it knows its mapping
/// (docs/PROTOCOL.md §11.6): 5 bytes, <c>0x51 'S' 'C' 'M'</c> and the <see cref="NatMappingKind"/>. Its first byte is
/// outside the session's range, so a peer that does not know it drops it like any malformed relayed datagram.
/// </summary>
internal static class MappingNotice
{
    public const byte Type = 0x51;

    public const int Length = 5;

    public static byte[] Encode(NatMappingKind kind) => [Type, (byte)'S', (byte)'C', (byte)'M', (byte)kind];

    /// <summary>True for a well-formed notice: exactly five bytes, the prefix, and a known kind.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out NatMappingKind kind)
    {
        kind = NatMappingKind.Unknown;
        if (payload.Length != Length || payload[0] != Type || payload[1] != 'S' || payload[2] != 'C' || payload[3] != 'M'
            || payload[4] > (byte)NatMappingKind.EndpointDependent)
            return false;
        kind = (NatMappingKind)payload[4];
        return true;
    }

    /// <summary>Easy to reach once the peer knows our public address: one port toward everyone, or no NAT at all.</summary>
    public static bool IsEasy(this NatMappingKind kind) => kind is NatMappingKind.None or NatMappingKind.EndpointIndependent;
}
