using System.Reactive.Concurrency;

namespace SecretChat.Chat;

/// <summary>How one <see cref="Chat"/> session behaves once a connection exists.</summary>
public sealed record ChatSessionOptions
{
    /// <summary>The name this side introduces itself with.</summary>
    public string Name { get; init; } = Environment.UserName;

    /// <summary>How long a finishing side waits for the peer to close after both have finished.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Decides whether the peer may chat once it has introduced itself; <see cref="AcceptAnyPeer"/> unless set.
    /// </summary>
    public IPeerVerifier PeerVerifier { get; init; } = AcceptAnyPeer.Instance;

    /// <summary>
    /// Pair with this code before chatting: after the handshake both sides run J-PAKE with it, bound to the session's
    /// handshake hash, and the peer is checked (<see cref="IPeerVerifier.CheckPairedByCode"/>) only once that confirms;
    /// a mismatch ends the session with <see cref="UserSentences.CodeDidNotMatch"/> and no message is exchanged. Needs a
    /// module with identity keys (noise). Null (the default) pairs with no code.
    /// </summary>
    public Security.Pairing.PairingCode? PairingCode { get; init; }

    /// <summary>
    /// Asked when the verifier refuses the peer because its key is not the one pinned for its name
    /// (<see cref="Framing.CloseReason.KeyChanged"/>): the peer is told that this side's user is deciding and waits; the
    /// function gets the verifier's refusal; the decision it returns accepts the peer (the function re-pins its key), null
    /// refuses it as without the question. Not
    /// answered within <see cref="KeyChangeAnswerTimeout"/>, the peer is refused. Null (the default) refuses at once.
    /// </summary>
    public Func<PeerDecision, CancellationToken, Task<PeerDecision?>>? KeyChangeQuestion { get; init; }

    /// <summary>How long <see cref="KeyChangeQuestion"/> may take, and how long a peer told to wait for one waits.</summary>
    public TimeSpan KeyChangeAnswerTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock for every timeout (a <c>TestScheduler</c> in tests).</summary>
    public IScheduler Scheduler { get; init; } = DefaultScheduler.Instance;
}
