using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Trust on first use for noise: the first key seen for a peer name is pinned; a different key later
/// is refused loudly unless the user explicitly accepts it. Also computes the safety number to show.
/// </summary>
public sealed class PinnedPeerVerifier(KnownPeers knownPeers, bool acceptNewKey) : IPeerVerifier
{
    /// <summary>The pins this verifier checks and updates.</summary>
    public KnownPeers KnownPeers { get; } = knownPeers;

    /// <summary>The last peer refused because its key changed, and that key (for <c>/trust</c>).</summary>
    public (string Name, byte[] Key)? LastRefused { get; private set; }

    /// <inheritdoc/>
    public PeerDecision Check(string peerName, SecureSession session)
    {
        if (session.RemoteStaticKey.IsEmpty)
            return PeerDecision.Accept();
        var safetyNumber = SafetyNumber.ForSession(session.LocalStaticKey.Span, session.RemoteStaticKey.Span).ToString();
        var known = KnownPeers.Check(peerName, session.RemoteStaticKey.Span);
        switch (known.Verdict)
        {
            case PeerVerdict.New:
                KnownPeers.Pin(peerName, session.RemoteStaticKey.Span);
                return PeerDecision.Accept(safetyNumber);
            case PeerVerdict.Match:
                return PeerDecision.Accept(safetyNumber);
            case PeerVerdict.Changed when acceptNewKey:
                KnownPeers.Replace(peerName, session.RemoteStaticKey.Span);
                return PeerDecision.Accept(safetyNumber, $"The new key of '{peerName}' was accepted and pinned (--accept-new-key); compare safety numbers again.");
            default:
                LastRefused = (peerName, session.RemoteStaticKey.ToArray());
                return PeerDecision.Refuse(
                    $"REFUSED: '{peerName}' presented a different identity key than the one pinned in {KnownPeers.FilePath}" +
                    (known.IsVerified ? " (and verified)" : "") +
                    ". Someone may be intercepting the connection, or the peer made a new identity. " +
                    "Compare safety numbers out of band; if the change is genuine, reconnect with --accept-new-key (or type /trust).",
                    safetyNumber);
        }
    }
}
