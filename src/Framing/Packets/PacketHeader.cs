namespace SecretChat.Framing.Packets;

/// <summary>
/// The fixed header of a packet. <see cref="SessionId"/> is the sender's session id in a handshake
/// packet, the receiver's in a data packet and the refused one in a reject;
/// <see cref="MessageIndex"/> is meaningful only in a handshake packet and <see cref="Counter"/> only in a data packet.
/// </summary>
public readonly record struct PacketHeader(PacketType Type, uint SessionId, byte MessageIndex = 0, ulong Counter = 0)
{
    public static PacketHeader Handshake(uint senderSessionId, byte messageIndex) =>
        new(PacketType.Handshake, senderSessionId, messageIndex);

    public static PacketHeader Data(uint receiverSessionId, ulong counter) =>
        new(PacketType.Data, receiverSessionId, Counter: counter);

    public static PacketHeader Reject(uint sessionId) => new(PacketType.Reject, sessionId);

    /// <summary>Bytes this header takes on the wire.</summary>
    public int Size => PacketCodec.HeaderSize(Type);
}
