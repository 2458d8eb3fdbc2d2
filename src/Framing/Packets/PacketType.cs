namespace SecretChat.Framing.Packets;

/// <summary>The first byte of every datagram of the UDP session.</summary>
public enum PacketType : byte
{
    /// <summary>[type][sender session id u32 BE][message index u8][handshake bytes]: a hello (index 0) or a handshake message.</summary>
    Handshake = 1,

    /// <summary>[type][receiver session id u32 BE][counter u64 BE][sealed payload]; the 13-byte header is the AEAD's associated data.</summary>
    Data = 2,

    /// <summary>[type][refused session id u32 BE][reason UTF-8]: sent in the clear, so it may only end a handshake, never a session.</summary>
    Reject = 3,

    /// <summary>
    /// [type][sender session id u32 BE][cookie, 16 bytes, all zero for none][hello]: the initiator's hello (message 0),
    /// carrying the return-routability cookie a listener asked for. A responder's hello stays a <see cref="Handshake"/> packet.
    /// </summary>
    InitiatorHello = 4,

    /// <summary>
    /// [type][the hello's session id u32 BE][cookie, 16 bytes]: a listener's answer to a hello from a source that has not
    /// proved it receives at its address; the initiator resends its hello with the cookie. Never larger than that hello.
    /// </summary>
    Cookie = 5,
}

/// <summary>Why a datagram is not a packet.</summary>
public enum PacketError : byte
{
    /// <summary>The datagram is a well-formed packet.</summary>
    None = 0,

    /// <summary>Zero bytes.</summary>
    Empty,

    /// <summary>The type byte is not a <see cref="PacketType"/>.</summary>
    UnknownType,

    /// <summary>Shorter than the header of its type (or a handshake packet without a message, an initiator's hello without its cookie and a hello, a cookie packet without its cookie).</summary>
    Truncated,

    /// <summary>Longer than <see cref="PacketCodec.MaxDatagramSize"/> (or a reject reason longer than <see cref="PacketCodec.MaxRejectReasonSize"/>, or a cookie packet longer than <see cref="PacketCodec.CookiePacketSize"/>).</summary>
    Oversize,
}
