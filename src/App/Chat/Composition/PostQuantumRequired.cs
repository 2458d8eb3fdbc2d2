using SecretChat.Security;

namespace SecretChat.Chat.Composition;

/// <summary>
/// <c>--require-pq</c>: refuses a peer whose session is not post-quantum (<see cref="SecureSession.IsPostQuantum"/>) with
/// <see cref="UserSentences.PeerNotPostQuantum"/>, before the pins are consulted; otherwise asks <paramref name="inner"/>.
/// </summary>
/// <param name="inner">The verifier that decides about a post-quantum peer (the pins, for noise).</param>
public sealed class PostQuantumRequired(IPeerVerifier inner) : IPeerVerifier
{
    /// <inheritdoc/>
    public PeerDecision Check(string peerName, SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.IsPostQuantum
            ? inner.Check(peerName, session)
            : PeerDecision.Refuse(UserSentences.PeerNotPostQuantum, AcceptAnyPeer.SafetyNumberOf(session));
    }
}
