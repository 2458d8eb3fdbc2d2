using System.Net;

namespace SecretChat.Signaling;

/// <summary>One signaling datagram; see <see cref="SignalingCodec"/> for the layouts.</summary>
public abstract record SignalingPacket
{
    public abstract SignalingPacketType Type { get; }
}

/// <summary>Client → server: join <paramref name="Room"/>. Sent again unchanged until answered (idempotent).</summary>
public sealed record RegisterPacket(string Room, PeerId Peer, IReadOnlyList<IPEndPoint> HostCandidates) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.Register;
}

/// <summary>Server → client: you are in the room, waiting for the second peer; this is the address the server sees you at.</summary>
public sealed record RegisteredPacket(PeerId Peer, IPEndPoint ReflexiveAddress) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.Registered;
}

/// <summary>
/// Server → both clients at once: your role, your reflexive address, the other peer's candidates, and when to punch
/// (<paramref name="PunchDelay"/> after receiving this; both get the same value at the same moment).
/// </summary>
public sealed record PeerInfoPacket(
    PeerId Peer,
    PeerRole Role,
    TimeSpan PunchDelay,
    IPEndPoint ReflexiveAddress,
    PeerId OtherPeer,
    IPEndPoint OtherReflexiveAddress,
    IReadOnlyList<IPEndPoint> OtherHostCandidates) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.PeerInfo;
}

/// <summary>Server → client: refused, with a sentence a person can read. <paramref name="Peer"/> is zero when unknown.</summary>
public sealed record ErrorPacket(PeerId Peer, SignalingErrorCode Code, string Reason) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.Error;
}

/// <summary>Client → server: I am done with this room (connected, or giving up).</summary>
public sealed record LeavePacket(string Room, PeerId Peer) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.Leave;
}

/// <summary>Client → server while waiting: keeps the room and the NAT mapping alive; answered like a Register.</summary>
public sealed record KeepAlivePacket(string Room, PeerId Peer) : SignalingPacket
{
    public override SignalingPacketType Type => SignalingPacketType.KeepAlive;
}
