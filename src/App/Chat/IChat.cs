using SecretChat.Security;
namespace SecretChat.Chat;

/// <summary>
/// A chat session with one peer over an established secure channel: what an interactor talks to.
/// </summary>
public interface IChat : IAsyncDisposable
{
    /// <summary>
    /// Everything that happens in the session, ending with <see cref="Disconnected"/> and then OnCompleted.
    /// A late subscriber first receives <see cref="Connected"/> and the most recent events (nothing is lost between
    /// connect and subscribe), never more than a fixed number: a long session does not keep all its events.
    /// </summary>
    IObservable<ChatEvent> Events { get; }

    /// <summary>
    /// Queues one message for the peer and returns its id; a <see cref="MessageSent"/> event with that id comes first,
    /// then <see cref="Delivered"/> when the peer acknowledges it, or <see cref="MessageUndelivered"/> if the session
    /// ends before that. Throws <see cref="InvalidOperationException"/> after
    /// <see cref="FinishAsync"/> or once the session has ended, <see cref="ArgumentException"/> for text
    /// too long for one message.
    /// </summary>
    ValueTask<LocalMessageId> SendAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>
    /// This side has nothing more to send: tells the peer, keeps receiving until the peer has finished
    /// too (or has left), waits until every message sent was acknowledged, then closes cleanly.
    /// Completes when the session has ended; true if every message sent was acknowledged.
    /// </summary>
    Task<bool> FinishAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the session now (e.g. <c>/quit</c>), telling the peer when possible.</summary>
    /// <param name="reason">Why, for the peer and the events.</param>
    /// <param name="cancellationToken">Stops waiting for the Close to go out: the session then ends at once, without it.</param>
    ValueTask CloseAsync(string reason = "closed by the user", CancellationToken cancellationToken = default);

    /// <summary>Completes when the session has ended, however it ended.</summary>
    Task Completion { get; }

    /// <summary>What <c>/path</c> shows, as data: the current path, the peer's address, RTT, what is known of the NATs; null where the session has none.</summary>
    PathReport? ReportPath() => null;
}
