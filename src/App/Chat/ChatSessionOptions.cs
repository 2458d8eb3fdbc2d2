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

    /// <summary>The clock for every timeout (a <c>TestScheduler</c> in tests).</summary>
    public IScheduler Scheduler { get; init; } = DefaultScheduler.Instance;
}
