using System.Net;
using SecretChat.Transport;

namespace SecretChat.Security;

/// <summary>
/// Where a secure channel's traffic goes at one moment: what carries it, which path, the peer's address and, where
/// the channel knows them, the round trip and what the NATs on the way did. The application turns it into text.
/// </summary>
public sealed record PathReport(TransportKind Transport, PathKind Path, EndPoint? Remote)
{
    /// <summary>True when the channel measures the round trip itself (the datagram session does); see <see cref="RoundTrip"/>.</summary>
    public bool MeasuresRoundTrip { get; init; }

    /// <summary>The smoothed round-trip time, once measured.</summary>
    public TimeSpan? RoundTrip { get; init; }

    /// <summary>What a punched session knows of its paths; null for a session to a known address.</summary>
    public PeerToPeerReport? PeerToPeer { get; init; }
}

/// <summary>
/// What a punched session knows of its paths: the relay, this side's local port and public (reflexive) address as the
/// server saw it, the peer's public and host addresses, and why the session is not (or was not) on the direct path.
/// </summary>
public sealed record PeerToPeerReport(
    IPEndPoint Relay,
    int LocalPort,
    IPEndPoint? ReflexiveAddress,
    IPEndPoint? PeerReflexiveAddress,
    IReadOnlyList<IPEndPoint> PeerHostCandidates,
    DirectPathFailure? DirectFailure)
{
    /// <summary>
    /// The TURN server when the relay (in use, or the one the session would fall back to) is a standard TURN relay rather
    /// than the signaling server's own; <see cref="Relay"/> is then that server's address too. Null for the built-in relay.
    /// </summary>
    public IPEndPoint? TurnServer { get; init; }
}

/// <summary>
/// Why a punched session is not on the direct path: no direct handshake completed within <paramref name="Waited"/>
/// (toward <paramref name="Tried"/>), or the session later moved to the relay for <paramref name="Move"/>.
/// </summary>
public sealed record DirectPathFailure(PathMoveReason? Move, TimeSpan Waited, IReadOnlyList<IPEndPoint> Tried)
{
    /// <summary>Punching found no direct path in time.</summary>
    public static DirectPathFailure NoHandshake(TimeSpan waited, IReadOnlyList<IPEndPoint> tried) => new(null, waited, tried);

    /// <summary>The session left the direct path; <paramref name="after"/> is the silence that decided it, where one did.</summary>
    public static DirectPathFailure MovedToRelay(PathMoveReason reason, TimeSpan after) => new(reason, after, []);
}
