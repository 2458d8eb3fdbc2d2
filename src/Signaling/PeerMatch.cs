using System.Net;

namespace SecretChat.Signaling;

/// <summary>
/// What the server told us once both peers were in the room: our role, where the server sees us, the other peer's
/// candidates and when to start punching (a delay counted from <see cref="RendezvousClient.RegisterAsync"/>'s return).
/// </summary>
public sealed record PeerMatch(
    PeerRole Role,
    IPEndPoint ReflexiveAddress,
    PeerId Peer,
    IPEndPoint PeerReflexiveAddress,
    IReadOnlyList<IPEndPoint> PeerHostCandidates,
    TimeSpan PunchDelay)
{
    /// <summary>Every address to punch toward: the peer's reflexive address first (the likely path across NATs), then its host addresses.</summary>
    public IReadOnlyList<IPEndPoint> PeerCandidates =>
        [PeerReflexiveAddress, .. PeerHostCandidates.Where(c => !c.Equals(PeerReflexiveAddress))];
}
