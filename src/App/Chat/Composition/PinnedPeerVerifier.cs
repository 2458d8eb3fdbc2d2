using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Trust on first use for noise, keyed by key: a key never seen is pinned as a NEW contact under the name the peer
/// gave; a pinned key is shown by the name it was pinned under, whatever the peer calls itself now; a key never seen
/// under a contact's name, or a name that looks like one (<see cref="PeerName.LooksLike"/>), is refused loudly, naming
/// the contact, unless the user explicitly accepts the new key. Also computes the safety number to show.
/// </summary>
public sealed class PinnedPeerVerifier(KnownPeers knownPeers, bool acceptNewKey) : IPeerVerifier
{
    /// <summary>The pins this verifier checks and updates.</summary>
    public KnownPeers KnownPeers { get; } = knownPeers;

    /// <summary>The last peer refused because its key is not the pinned one, and that key (for <c>/trust</c>).</summary>
    public (string Name, byte[] Key)? LastRefused { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="IdentityException">The known-peers file cannot be read, locked or written.</exception>
    public PeerDecision Check(string peerName, SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.RemoteStaticKey.IsEmpty)
            return PeerDecision.Accept();
        var safetyNumber = SafetyNumber.ForSession(session.LocalStaticKey.Span, session.RemoteStaticKey.Span).ToString();
        if (!PeerName.TryParse(peerName, out var name, out var problem))
            return PeerDecision.Refuse($"REFUSED: the peer's name {PeerName.Visible(peerName ?? "")} is not allowed: {problem}.", safetyNumber);
        var key = session.RemoteStaticKey.Span;
        var known = KnownPeers.Check(name, key);
        switch (known.Verdict)
        {
            case PeerVerdict.New:
                KnownPeers.Pin(name, key);
                return PeerDecision.Accept(safetyNumber) with { Contact = ContactStatus.New, ContactName = name.Value };
            case PeerVerdict.Match:
                return PeerDecision.Accept(safetyNumber) with
                {
                    Contact = known.Contact!.VerifiedBy switch
                    {
                        PeerVerification.Code => ContactStatus.VerifiedByCode,
                        PeerVerification.SafetyNumber => ContactStatus.Verified,
                        _ => ContactStatus.Known,
                    },
                    ContactName = known.Contact!.Name.Value,
                };
            case PeerVerdict.Changed or PeerVerdict.LookAlike when acceptNewKey:
                KnownPeers.Replace(name, key);
                var contact = known.Contact!.Name.Value;
                return PeerDecision.Accept(safetyNumber,
                    $"The new key of '{contact}' was accepted and pinned (--accept-new-key); it is not verified: compare safety numbers again, then /verify.")
                    with { Contact = ContactStatus.Replaced, ContactName = contact };
            default:
                LastRefused = (name.Value, session.RemoteStaticKey.ToArray());
                return PeerDecision.Refuse(Refusal(name, known), safetyNumber) with { RefusalReason = SecretChat.Framing.CloseReason.KeyChanged };
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The code was confirmed in this session, so the key is pinned as verified by code whatever was pinned before: a
    /// key pinned under the peer's name (or one like it) is replaced, with a notice naming the contact.
    /// </remarks>
    /// <exception cref="IdentityException">The known-peers file cannot be read, locked or written.</exception>
    public PeerDecision CheckPairedByCode(string peerName, SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.RemoteStaticKey.IsEmpty)
            return PeerDecision.Refuse(UserSentences.CodeNeedsNoise);
        var safetyNumber = SafetyNumber.ForSession(session.LocalStaticKey.Span, session.RemoteStaticKey.Span).ToString();
        if (!PeerName.TryParse(peerName, out var name, out var problem))
            return PeerDecision.Refuse($"REFUSED: the peer's name {PeerName.Visible(peerName ?? "")} is not allowed: {problem}.", safetyNumber);
        var (pinnedAs, replaced) = KnownPeers.PinVerifiedByCode(name, session.RemoteStaticKey.Span);
        return PeerDecision.Accept(safetyNumber, replaced ? UserSentences.ReplacedByCode(pinnedAs.Value) : null)
            with { Contact = ContactStatus.VerifiedByCode, ContactName = pinnedAs.Value };
    }

    private string Refusal(PeerName name, PeerCheck known)
    {
        var contact = known.Contact!;
        var pinned = $"pinned key {Convert.ToHexStringLower(contact.Key.Span[..Math.Min(8, contact.Key.Length)])}…{(contact.IsVerified ? ", verified" : "")}";
        var what = known.Verdict == PeerVerdict.LookAlike
            ? $"REFUSED: the peer calls itself '{name.Value}', which looks like your contact '{contact.Name.Value}' ({pinned}), but it presented another identity key"
            : $"REFUSED: '{name.Value}' presented a different identity key than the one pinned in {KnownPeers.FilePath} ({pinned})";
        return what + ". Someone may be impersonating your contact or intercepting the connection, or the contact made a new identity. " +
            "Compare safety numbers out of band; if the change is genuine, reconnect with --accept-new-key (or type /trust).";
    }
}
