using System.Net;

namespace SecretChat.Signaling;

/// <summary>One signaling datagram; see <see cref="SignalingCodec"/> for the layouts.</summary>
public abstract record SignalingPacket
{
    /// <summary>The packet's first byte, which tells the layout of the rest.</summary>
    public abstract SignalingPacketType Type { get; }
}

/// <summary>Client → server: join <paramref name="Room"/>. Sent again unchanged until answered (idempotent).</summary>
public sealed record RegisterPacket(string Room, PeerId Peer, IReadOnlyList<IPEndPoint> HostCandidates) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Register;
}

/// <summary>Server → client: you are in the room, waiting for the second peer; this is the address the server sees you at.</summary>
public sealed record RegisteredPacket(PeerId Peer, IPEndPoint ReflexiveAddress) : SignalingPacket
{
    /// <inheritdoc/>
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
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.PeerInfo;
}

/// <summary>Server → client: refused, with a sentence a person can read. <paramref name="Peer"/> is zero when unknown.</summary>
public sealed record ErrorPacket(PeerId Peer, SignalingErrorCode Code, string Reason) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Error;
}

/// <summary>Client → server: I am done with this room (connected, or giving up).</summary>
public sealed record LeavePacket(string Room, PeerId Peer) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Leave;
}

/// <summary>
/// Client → server: keeps the room and the NAT mapping alive. While waiting it is answered like a Register;
/// <paramref name="Matched"/> says the sender already has its PeerInfo (it keeps its membership for the relay), so the
/// server only refreshes the room and answers nothing unless the room is gone.
/// </summary>
public sealed record KeepAlivePacket(string Room, PeerId Peer, bool Matched = false) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.KeepAlive;
}

/// <summary>
/// Client → server: forward <paramref name="Payload"/> to the other peer of <paramref name="Room"/>. <paramref name="Peer"/>
/// is the sender's own id; the server forwards only for a member sending from its registered address. The payload is an
/// opaque, end-to-end sealed session datagram the server never parses.
/// </summary>
public sealed record RelayPacket(string Room, PeerId Peer, ReadOnlyMemory<byte> Payload) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Relay;
}

/// <summary>Server → client: a datagram the other peer (<paramref name="From"/>) asked the server to relay.</summary>
public sealed record RelayedPacket(PeerId From, ReadOnlyMemory<byte> Payload) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Relayed;
}
