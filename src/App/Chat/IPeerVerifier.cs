using SecretChat.Security;

namespace SecretChat.Chat;

/// <summary>What a verifier decided about a peer that completed the handshake and introduced itself.</summary>
/// <param name="Accepted">False refuses the peer: the session ends with <paramref name="Explanation"/>.</param>
/// <param name="Explanation">Why a peer was refused, or a notice worth showing (e.g. a newly pinned key); else null.</param>
/// <param name="Fingerprint">The safety number to show both users, where the mode has one.</param>
public sealed record PeerDecision(bool Accepted, string? Explanation, string? Fingerprint)
{
    /// <summary>
    /// Accepts the peer, with the safety number to show and a notice (a newly pinned key, for example), if any.
    /// </summary>
    public static PeerDecision Accept(string? fingerprint = null, string? notice = null) => new(true, notice, fingerprint);

    /// <summary>Refuses the peer: the session ends with <paramref name="explanation"/>.</summary>
    public static PeerDecision Refuse(string explanation, string? fingerprint = null) => new(false, explanation, fingerprint);
}

/// <summary>Decides whether a peer may chat: pinned keys (noise), or nothing to check (rsa, pseudo).</summary>
public interface IPeerVerifier
{
    /// <summary>
    /// Decides about <paramref name="peerName"/>, who completed <paramref name="session"/>'s handshake and introduced
    /// itself: a refusal ends the session with its explanation.
    /// </summary>
    PeerDecision Check(string peerName, SecureSession session);
}

/// <summary>Accepts every peer: for modes without identities, and for tests.</summary>
public sealed class AcceptAnyPeer : IPeerVerifier
{
    /// <summary>The one instance; it holds no state.</summary>
    public static AcceptAnyPeer Instance { get; } = new();

    /// <summary>Accepts <paramref name="peerName"/>, with no safety number.</summary>
    public PeerDecision Check(string peerName, SecureSession session) => PeerDecision.Accept();
}
