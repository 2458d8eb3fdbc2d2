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

    /// <summary>Records the last event (<see cref="Disconnected"/>) and completes: nothing can come between the two.</summary>
    public void End(ChatEvent last)
    {
        lock (_gate)
        {
            if (_completed)
                return;
            Add(last);
            _completed = true;
            _live.OnCompleted();
        }
    }
}
