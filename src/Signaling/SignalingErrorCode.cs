namespace SecretChat.Signaling;

/// <summary>Why the server refused a packet (the Error packet's code byte).</summary>
public enum SignalingErrorCode : byte
{
    /// <summary>The packet was well-formed but asks for more than the server allows (too many host candidates).</summary>
    BadRequest = 1,
    /// <summary>The room already holds two peers.</summary>
    RoomFull = 2,
    /// <summary>Too many packets from this address; slow down and retry in a few seconds.</summary>
    RateLimited = 3,
    /// <summary>The server speaks another signaling version.</summary>
    UnsupportedVersion = 4,
    /// <summary>The server has too many open rooms; retry later.</summary>
    ServerFull = 5,
    /// <summary>The room of a keepalive no longer exists (it expired or was left).</summary>
    UnknownRoom = 6,

    /// <summary>A relayed datagram was dropped: the room's rate, its total allowance or the size cap was exceeded.</summary>
    RelayLimit = 7,

    /// <summary>This server does not relay at all.</summary>
    RelayDisabled = 8,

    /// <summary>
    /// A Register for a nameplate (a room named <c>#N</c>) that is not open, or that already paired two peers: the code
    /// was used, expired or never given.
    /// </summary>
    UnknownNameplate = 9,
}
