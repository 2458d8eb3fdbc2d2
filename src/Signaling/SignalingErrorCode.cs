namespace SecretChat.Signaling;

/// <summary>Why the server refused a packet (the Error packet's code byte).</summary>
public enum SignalingErrorCode : byte
{
    BadRequest = 1,
    RoomFull = 2,
    RateLimited = 3,
    UnsupportedVersion = 4,
    ServerFull = 5,
    UnknownRoom = 6,

    /// <summary>A relayed datagram was dropped: the room's rate, its total allowance or the size cap was exceeded.</summary>
    RelayLimit = 7,

    /// <summary>This server does not relay at all.</summary>
    RelayDisabled = 8,
}
