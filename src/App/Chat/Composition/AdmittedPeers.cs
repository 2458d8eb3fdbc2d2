using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Chat.Composition;

/// <summary>
/// A verifier asked twice about one session gives one answer: p2p asks it about each candidate's peer before it picks
/// a path (<see cref="Security.Datagrams.DatagramChannelOptions.AdmitPeer"/>), and the chat asks again once the session
/// runs. The second time gets the first decision, so a pin is made once and its notice (a NEW contact, a replaced key)
/// reaches the user as the first check worded it.
/// </summary>
internal sealed class AdmittedPeers(IPeerVerifier verifier) : IPeerVerifier
{
    private readonly Lock _gate = new();
    private readonly List<(SecureSession Session, string Name, PeerDecision Decision)> _decided = [];

    /// <summary>The verifier that decides.</summary>
    public IPeerVerifier Verifier { get; } = verifier;

    /// <inheritdoc/>
    public PeerDecision Check(string peerName, SecureSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            foreach (var (decidedSession, name, decision) in _decided)
            {
                if (ReferenceEquals(decidedSession, session) && name == peerName)
                    return decision;
            }
            var fresh = Verifier.Check(peerName, session);
            _decided.Add((session, peerName, fresh));
            return fresh;
        }
    }

    /// <inheritdoc/>
    public PeerDecision CheckPairedByCode(string peerName, SecureSession session) => Verifier.CheckPairedByCode(peerName, session);

    /// <summary>The admission check for a datagram handshake: null admits, the verifier's sentence refuses.</summary>
    public string? Admit(SecureSession session)
    {
        var decision = Check(session.PeerGreeting.DisplayName, session);
        return decision.Accepted ? null : decision.Explanation ?? UserSentences.PeerRefused(session.PeerGreeting.DisplayName);
    }
}
