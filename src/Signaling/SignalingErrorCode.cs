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
}
