using System.Net;
using SecretChat.Security;

namespace SecretChat.Signaling;

/// <summary>One signaling datagram; see <see cref="SignalingCodec"/> for the layouts.</summary>
public abstract record SignalingPacket
{
    /// <summary>The packet's first byte, which tells the layout of the rest.</summary>
    public abstract SignalingPacketType Type { get; }
}

/// <summary>
/// Client → server: join <paramref name="Room"/>. Sent again unchanged until answered (idempotent). The server acts on
/// it only with a valid <paramref name="Cookie"/> for the address it came from; without one it answers a
/// <see cref="CookiePacket"/> (smaller than any Register) and keeps nothing.
/// </summary>
/// <remarks>
/// <paramref name="Token"/> is none on a first registration. A <b>rejoin</b> carries the member token the client already
/// holds for <paramref name="Peer"/> (after its server stopped answering, at another node of the same deployment): with
/// it, a server that shares the member's state may move the member to this source instead of ignoring a known id from a
/// new address. On the wire only when set.
/// </remarks>
public sealed record RegisterPacket(string Room, PeerId Peer, IReadOnlyList<IPEndPoint> HostCandidates, AddressCookie Cookie = default, MemberToken Token = default) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Register;
}

/// <summary>
/// Server → client: you are in the room, waiting for the second peer; this is the address the server sees you at, and
/// <paramref name="Token"/> the secret your KeepAlive, Leave and Relay packets must carry.
/// </summary>
/// <remarks>
/// <paramref name="Nameplate"/> is the number the server allocated when the Register asked for one (room
/// <see cref="SignalingCodec.AllocateNameplateRoom"/>): the client is then a member of room <c>#N</c>. Zero otherwise
/// (and not on the wire).
/// </remarks>
public sealed record RegisteredPacket(PeerId Peer, MemberToken Token, IPEndPoint ReflexiveAddress, ushort Nameplate = 0) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Registered;
}

/// <summary>
/// Server → both clients at once: your role, your reflexive address, the other peer's candidates, and when to punch
/// (<paramref name="PunchDelay"/> after receiving this; both get the same value at the same moment), and your
/// <paramref name="Token"/> (as in <see cref="RegisteredPacket"/>).
/// </summary>
public sealed record PeerInfoPacket(
    PeerId Peer,
    MemberToken Token,
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

/// <summary>Client → server: I am done with this room (connected, or giving up). Ignored without the member's token.</summary>
public sealed record LeavePacket(string Room, PeerId Peer, MemberToken Token) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Leave;
}

/// <summary>
/// Client → server: keeps the room and the NAT mapping alive. While waiting it is answered like a Register;
/// <paramref name="Matched"/> says the sender already has its PeerInfo (it keeps its membership for the relay), so the
/// server only refreshes the room and answers nothing unless the room is gone. Ignored without the member's
/// <paramref name="Token"/>; from a new address (the NAT rebound) it moves the member there only with a valid
/// <paramref name="Cookie"/> for that address, and is answered with a <see cref="CookiePacket"/> otherwise.
/// <paramref name="AnswerWanted"/> (with <paramref name="Matched"/>) asks for a short answer, a <see cref="RegisteredPacket"/>
/// (never larger than the KeepAlive), so that a matched client notices when its server stops answering.
/// </summary>
public sealed record KeepAlivePacket(string Room, PeerId Peer, MemberToken Token, bool Matched = false, AddressCookie Cookie = default, bool AnswerWanted = false) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.KeepAlive;
}

/// <summary>
/// Client → server: forward <paramref name="Payload"/> to the other peer of the sender's room. <paramref name="Peer"/>
/// is the sender's own id (ids are unique among the server's members, so no room name is needed: the wrapper stays
/// small enough for any room name); the server forwards only for a member sending from its registered address with
/// its <paramref name="Token"/>. The payload is an opaque, end-to-end sealed session datagram the server never parses.
/// </summary>
public sealed record RelayPacket(PeerId Peer, MemberToken Token, ReadOnlyMemory<byte> Payload) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Relay;
}

/// <summary>
/// Server → client: a datagram the other peer (<paramref name="From"/>) asked the server to relay. <paramref name="Token"/>
/// is the receiving member's own token: an off-path sender that forges the server's address cannot know it.
/// </summary>
public sealed record RelayedPacket(MemberToken Token, PeerId From, ReadOnlyMemory<byte> Payload) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Relayed;
}

/// <summary>
/// Server → client: prove you receive at this address; send your packet again with <paramref name="Cookie"/>.
/// <paramref name="Peer"/> echoes the request's. 26 bytes: smaller than every packet that can draw it.
/// </summary>
public sealed record CookiePacket(PeerId Peer, AddressCookie Cookie) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Cookie;
}

/// <summary>
/// Server → member: this room's relay runs on another node of the same deployment (several signaling nodes sharing
/// their rooms); send Relay, KeepAlive and Leave to <paramref name="HomeNode"/> from now on. <paramref name="Peer"/> and
/// <paramref name="Token"/> are the receiving member's own, so only a server that knows the member can move it: the
/// client follows a Redirect only from the server it is talking to, with its own id and token, a bounded number of
/// times, and never to a loopback, multicast or unspecified address unless that server is itself on loopback.
/// </summary>
public sealed record RedirectPacket(PeerId Peer, MemberToken Token, IPEndPoint HomeNode) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.Redirect;
}

/// <summary>
/// Server → a matched member: credentials for the TURN server at <paramref name="Server"/> (coturn's shared-secret
/// scheme: <paramref name="Username"/> is <c>expiry:name</c>, the expiry in Unix seconds; <paramref name="Password"/> is
/// base64 of HMAC-SHA1 of it under the server's secret). <paramref name="Token"/> is the receiver's member token, so an
/// off-path sender forging the server's address cannot hand out credentials of its own. Sent only to members that proved
/// their address (after the cookie), beside their PeerInfo, and again through KeepAlives before they expire.
/// </summary>
public sealed record TurnCredentialsPacket(PeerId Peer, MemberToken Token, IPEndPoint Server, string Username, string Password) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.TurnCredentials;

    /// <summary>When the credentials expire: the number before the username's first colon (null if it is not one).</summary>
    public DateTimeOffset? Expires =>
        Username.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon
        && long.TryParse(Username.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>Never the password: credentials do not belong in logs.</summary>
    public override string ToString() => $"TurnCredentialsPacket {{ Peer = {Peer}, Server = {Server}, Username = {Username} }}";
}

/// <summary>
/// A member's relayed address at the TURN server, passed to the other member through the signaling server. Toward the
/// server <paramref name="Peer"/> and <paramref name="Token"/> are the sender's own (as in <see cref="RelayPacket"/>);
/// toward a client, <paramref name="Peer"/> is the member who sent it and <paramref name="Token"/> the receiver's own (as
/// in <see cref="RelayedPacket"/>). The server forwards it unchanged in size, and only between the two members of a room.
/// </summary>
public sealed record TurnAddressPacket(PeerId Peer, MemberToken Token, IPEndPoint RelayedAddress) : SignalingPacket
{
    /// <inheritdoc/>
    public override SignalingPacketType Type => SignalingPacketType.TurnAddress;
}
