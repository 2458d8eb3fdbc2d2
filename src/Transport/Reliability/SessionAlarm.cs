using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace SecretChat.Transport.Reliability;

/// <summary>
/// A session's one re-armable timer and its "on the next turn" hook (the acknowledgement flush). On the wall clock
/// (<see cref="DefaultScheduler"/>) both allocate nothing per use: one <see cref="ITimer"/> moved with
/// <see cref="ITimer.Change"/> and one thread-pool work item queued again; on any other scheduler (TestScheduler:
/// virtual time) each arming is an <see cref="IScheduler.Schedule{TState}(TState, DateTimeOffset, Func{IScheduler, TState, IDisposable})"/>
/// as before, which allocates the scheduler's items.
/// </summary>
/// <remarks>A firing that comes early or twice is harmless: the session does only what is due and arms again.</remarks>
internal abstract class SessionAlarm : IDisposable
{
    /// <summary>The alarm for <paramref name="scheduler"/>: <paramref name="fire"/> when armed time comes, <paramref name="post"/> after <see cref="Post"/>.</summary>
    public static SessionAlarm For(IScheduler scheduler, Action fire, Action post) => scheduler is DefaultScheduler
        ? new WallClockAlarm(scheduler, fire, post)
        : new SchedulerAlarm(scheduler, fire, post);

    /// <summary>Fires at <paramref name="due"/>, replacing the previous arming. Caller holds the session's lock.</summary>
    public abstract void Arm(DateTimeOffset due);

    /// <summary>
    /// Runs the post action once on the scheduler's next turn. Any thread, without the session's lock: the wall clock
    /// queues to the thread pool, and the other kind serialises its own calls into the scheduler (a TestScheduler is
    /// not thread-safe).
    /// </summary>
    public abstract void Post();

    /// <summary>Nothing fires any more (the session ended).</summary>
    public abstract void Dispose();

    private sealed class SchedulerAlarm(IScheduler scheduler, Action fire, Action post) : SessionAlarm
    {
        private Func<IScheduler, long, IDisposable>? _fired;
        private IDisposable? _armed;
        private long _generation;
        private bool _disposed;

        private readonly Lock _calls = new(); // Post comes without the session's lock; Arm and Dispose with it

        public override void Arm(DateTimeOffset due)
        {
            lock (_calls)
            {
                if (_disposed)
                    return;
                _armed?.Dispose();
                _armed = scheduler.Schedule(++_generation, due, _fired ??= Fired);
            }
        }

        public override void Post()
        {
            lock (_calls)
            {
                scheduler.Schedule(post, static (_, action) =>
                {
                    action();
                    return Disposable.Empty;
                });
            }
        }

        public override void Dispose()
        {
            lock (_calls)
            {
                _disposed = true;
                _armed?.Dispose();
                _armed = null;
                _generation++;
            }
        }

        /// <summary>Only the latest arming fires: an item disposed too late for a real scheduler to drop it is ignored.</summary>
        private IDisposable Fired(IScheduler _, long generation)
        {
            if (Volatile.Read(ref _generation) == generation)
                fire();
            return Disposable.Empty;
        }
    }

    /// <summary>
    /// The wall clock: a <see cref="TimeProvider.System"/> timer moved rather than replaced, and the flush queued to the
    /// thread pool as the same work item each time (where <see cref="DefaultScheduler"/> runs both, too).
    /// </summary>
    private sealed class WallClockAlarm : SessionAlarm, IThreadPoolWorkItem
    {
        /// <summary>A later deadline is met by firing early and arming again; this keeps the delay in the timer's range.</summary>
        private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(1);

        private readonly IScheduler _clock;
        private readonly Action _post;
        private readonly ITimer _timer;
        private bool _disposed;

        public WallClockAlarm(IScheduler clock, Action fire, Action post)
        {
            _clock = clock;
            _post = post;
            _timer = TimeProvider.System.CreateTimer(static state => ((Action)state!)(), fire, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public override void Arm(DateTimeOffset due)
        {
            if (_disposed)
                return;
            var delay = due - _clock.Now;
            _timer.Change(delay <= TimeSpan.Zero ? TimeSpan.Zero : delay < LongestDelay ? delay : LongestDelay, Timeout.InfiniteTimeSpan);
        }

        public override void Post() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

        public override void Dispose()
        {
            _disposed = true;
            _timer.Dispose();
        }

        void IThreadPoolWorkItem.Execute() => _post();
    }
}
