namespace SecretChat.Framing.Packets;

/// <summary>
/// The fixed header of a packet. <see cref="SessionId"/> is the sender's session id in a handshake
/// packet and an initiator's hello, the receiver's in a data packet, the refused one in a reject and the answered one in a
/// cookie;
/// <see cref="MessageIndex"/> is meaningful only in a handshake packet and <see cref="Counter"/> only in a data packet.
/// </summary>
public readonly record struct PacketHeader(PacketType Type, uint SessionId, byte MessageIndex = 0, ulong Counter = 0)
{
    /// <summary>
    /// The header of a handshake packet: message <paramref name="messageIndex"/> (0 is the hello) of the session
    /// <paramref name="senderSessionId"/> chose.
    /// </summary>
    public static PacketHeader Handshake(uint senderSessionId, byte messageIndex) =>
        new(PacketType.Handshake, senderSessionId, messageIndex);

    /// <summary>
    /// The header of a data packet for the session <paramref name="receiverSessionId"/> chose, sealed under nonce
    /// <paramref name="counter"/>.
    /// </summary>
    public static PacketHeader Data(uint receiverSessionId, ulong counter) =>
        new(PacketType.Data, receiverSessionId, Counter: counter);

    /// <summary>The header of a reject packet refusing the handshake of <paramref name="sessionId"/>.</summary>
    public static PacketHeader Reject(uint sessionId) => new(PacketType.Reject, sessionId);

    /// <summary>
    /// The header of an initiator's hello from the session <paramref name="senderSessionId"/> chose (the body is the
    /// cookie, then the hello).
    /// </summary>
    public static PacketHeader InitiatorHello(uint senderSessionId) => new(PacketType.InitiatorHello, senderSessionId);

    /// <summary>The header of a cookie packet answering the hello of <paramref name="sessionId"/> (the body is the cookie).</summary>
    public static PacketHeader Cookie(uint sessionId) => new(PacketType.Cookie, sessionId);

    /// <summary>Bytes this header takes on the wire.</summary>
    public int Size => PacketCodec.HeaderSize(Type);

    // The record's ToString would print Size, which throws for a type this side does not know (a default header, the
    // header of a refused datagram): print the fields alone. Found by fuzzing (fuzz/findings/packet).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Type = ").Append(Type).Append(", SessionId = ").Append(SessionId)
            .Append(", MessageIndex = ").Append(MessageIndex).Append(", Counter = ").Append(Counter);
        return true;
    }
}
