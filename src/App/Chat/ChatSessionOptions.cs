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

    /// <summary>The clock for every timeout (a <c>TestScheduler</c> in tests).</summary>
    public IScheduler Scheduler { get; init; } = DefaultScheduler.Instance;
}
