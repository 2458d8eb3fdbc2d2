using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace SecretChat.Chat;

/// <summary>
/// A session's events for its subscribers: live ones as they happen, and for a late subscriber a bounded
/// replay first, so that nothing between connecting and subscribing is lost and a long session holds only
/// a fixed number of events.
/// </summary>
/// <remarks>
/// The replay is the <see cref="Connected"/> event (kept for the whole session: an interactor needs it to
/// show who the peer is) followed by the last <see cref="RecentEventLimit"/> events in order, ending with
/// <see cref="Disconnected"/> and OnCompleted once the session has ended.
/// </remarks>
internal sealed class ChatEventHistory
{
    /// <summary>How many recent events a late subscriber receives (besides <see cref="Connected"/>).</summary>
    public const int RecentEventLimit = 256;

    private readonly Lock _gate = new();
    private readonly Queue<ChatEvent> _recent = new();
    private readonly Subject<ChatEvent> _live = new();
    private Connected? _connected;
    private bool _connectedDropped;
    private bool _completed;

    public IObservable<ChatEvent> Events => Observable.Create<ChatEvent>(observer =>
    {
        // Replaying and joining the live events under one lock: nothing is seen twice or missed in between.
        lock (_gate)
        {
            if (_connectedDropped)
                observer.OnNext(_connected!);
            foreach (var recent in _recent)
                observer.OnNext(recent);
            if (!_completed)
                return _live.Subscribe(observer);
            observer.OnCompleted();
            return Disposable.Empty;
        }
    });

    /// <summary>Records <paramref name="chatEvent"/> and tells the subscribers; ignored once completed.</summary>
    public void Add(ChatEvent chatEvent)
    {
        lock (_gate)
        {
            if (_completed)
                return;
            if (chatEvent is Connected connected)
                _connected ??= connected;
            _recent.Enqueue(chatEvent);
            if (_recent.Count > RecentEventLimit && ReferenceEquals(_recent.Dequeue(), _connected))
                _connectedDropped = true;
            _live.OnNext(chatEvent);
        }
    }

    /// <summary>
    /// Records the event <paramref name="next"/> makes, if it makes one, and tells the subscribers; nothing is made once
    /// completed. <paramref name="next"/> runs under the same lock as <see cref="End(Func{IEnumerable{ChatEvent}})"/>'s
    /// last events: a decision taken in it (a message is delivered) and the event that says so cannot be split by the end.
    /// </summary>
    /// <returns>False when the history had completed, so <paramref name="next"/> did not run.</returns>
    public bool Add(Func<ChatEvent?> next)
    {
        lock (_gate)
        {
            if (_completed)
                return false;
            if (next() is { } chatEvent)
                Add(chatEvent);
            return true;
        }
    }

    /// <summary>Records the last event (<see cref="Disconnected"/>) and completes: nothing can come between the two.</summary>
    public void End(ChatEvent last) => End(() => [last]);

    /// <summary>
    /// Records the last events <paramref name="last"/> makes (those about undelivered messages, then <see cref="Disconnected"/>)
    /// and completes; <paramref name="last"/> runs under the lock, only once, and not at all when already completed.
    /// </summary>
    public void End(Func<IEnumerable<ChatEvent>> last)
    {
        lock (_gate)
        {
            if (_completed)
                return;
            foreach (var chatEvent in last())
                Add(chatEvent);
            _completed = true;
            _live.OnCompleted();
        }
    }
}
