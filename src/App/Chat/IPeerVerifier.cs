using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.Chat;

/// <summary>What a verifier decided about a peer that completed the handshake and introduced itself.</summary>
/// <param name="Accepted">False refuses the peer: the session ends with <paramref name="Explanation"/>.</param>
/// <param name="Explanation">Why a peer was refused, or a notice worth showing (e.g. a newly pinned key); else null.</param>
/// <param name="Fingerprint">The safety number to show both users, where the mode has one.</param>
public sealed record PeerDecision(bool Accepted, string? Explanation, string? Fingerprint)
{
    /// <summary>What the pins say about the peer's key (<see cref="ContactStatus.Unpinned"/> when nothing was checked).</summary>
    public ContactStatus Contact { get; init; }

    /// <summary>
    /// The name to show for the peer: the name its key is pinned under, which wins over whatever the peer calls itself
    /// now; null to show the name the peer gave.
    /// </summary>
    public string? ContactName { get; init; }

    /// <summary>What the refused peer is told: the reason code of the Close (<see cref="CloseReason.NotTrusted"/> unless said otherwise).</summary>
    public CloseReason RefusalReason { get; init; } = CloseReason.NotTrusted;

    /// <summary>Lets the peer chat, with the safety number to show (if the module has one) and a notice (if any).</summary>
    public static PeerDecision Accept(string? fingerprint = null, string? notice = null) => new(true, notice, fingerprint);

    /// <summary>Refuses the peer with one sentence for the user.</summary>
    public static PeerDecision Refuse(string explanation, string? fingerprint = null) => new(false, explanation, fingerprint);
}

/// <summary>Decides whether a peer may chat: pinned keys (noise), or nothing to check (rsa, pseudo).</summary>
public interface IPeerVerifier
{
    /// <summary>Decides about <paramref name="peerName"/>, whose handshake produced <paramref name="session"/>.</summary>
    PeerDecision Check(string peerName, SecureSession session);

    /// <summary>
    /// Decides about <paramref name="peerName"/> after a code pairing confirmed its key in <paramref name="session"/>:
    /// a verifier with pins records the key as verified by code. By default the same as <see cref="Check"/>.
    /// </summary>
    PeerDecision CheckPairedByCode(string peerName, SecureSession session) => Check(peerName, session);
}

/// <summary>
/// Stands in for a verifier while a code pairing has not confirmed the peer yet: <see cref="Check"/> accepts without
/// pinning anything (the pairing decides), and <see cref="CheckPairedByCode"/> asks the verifier behind it.
/// </summary>
public sealed class PairingPeerVerifier(IPeerVerifier verifier) : IPeerVerifier
{
    /// <summary>The verifier asked once the code is confirmed.</summary>
    public IPeerVerifier Verifier { get; } = verifier;

    /// <inheritdoc/>
    public PeerDecision Check(string peerName, SecureSession session) => PeerDecision.Accept(AcceptAnyPeer.SafetyNumberOf(session));

    /// <inheritdoc/>
    public PeerDecision CheckPairedByCode(string peerName, SecureSession session) => Verifier.CheckPairedByCode(peerName, session);
}

/// <summary>
/// Accepts every peer: for modules without identities, for tests, and as the explicit choice of a chat that
/// compares the safety number by other means (it is still computed and shown when the module has one).
/// </summary>
public sealed class AcceptAnyPeer : IPeerVerifier
{
    /// <summary>The one instance.</summary>
    public static AcceptAnyPeer Instance { get; } = new();

    /// <summary>Accepts, with the session's safety number where the module has one.</summary>
    public PeerDecision Check(string peerName, SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return PeerDecision.Accept(SafetyNumberOf(session));
    }

    /// <summary>The safety number of <paramref name="session"/>, or null when its module carries no long-term keys.</summary>
    public static string? SafetyNumberOf(SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Module.HasFingerprint && !session.LocalStaticKey.IsEmpty && !session.RemoteStaticKey.IsEmpty
            ? SafetyNumber.ForSession(session.LocalStaticKey.Span, session.RemoteStaticKey.Span).ToString()
            : null;
    }
}
