using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using SecretChat.Chat;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// A wait a person can see: forwards each status it is given and, while no new one comes, repeats the last with how
/// long it has lasted ("waiting for the peer to join room 'blue-otter' (1 min 5 s)"). At a terminal the repeats
/// overwrite one line (a spinner's status) every second; scripted, they are plain lines that come further apart
/// (5 s, 10 s, 20 s, ... at most a minute), so a long wait does not flood a log.
/// </summary>
/// <remarks>Anything that waits reports through it: connecting, p2p waiting for the peer, a short code's other side.</remarks>
internal sealed class WaitingProgress : IProgress<string>, IProgress<ConnectPhase>, IDisposable
{
    /// <summary>How often a terminal's status line shows the time.</summary>
    public static readonly TimeSpan TerminalInterval = TimeSpan.FromSeconds(1);

    /// <summary>The first repeat of a scripted wait; each next one comes twice as late, up to <see cref="ScriptedMaxInterval"/>.</summary>
    public static readonly TimeSpan ScriptedFirstInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest gap between two scripted repeats.</summary>
    public static readonly TimeSpan ScriptedMaxInterval = TimeSpan.FromMinutes(1);

    private readonly IProgress<string> _inner;
    private readonly IScheduler _scheduler;
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private readonly SerialDisposable _timer = new();
    private readonly Lock _gate = new();
    private string? _status;
    private DateTimeOffset _since;
    private long _generation;
    private bool _disposed;

    /// <param name="inner">Where each status (and each repeat with the elapsed time) goes.</param>
    /// <param name="scheduler">The clock.</param>
    /// <param name="first">When the first repeat comes after a new status.</param>
    /// <param name="max">The gaps double from <paramref name="first"/> up to this; equal to it for a fixed pace.</param>
    public WaitingProgress(IProgress<string> inner, IScheduler scheduler, TimeSpan first, TimeSpan max)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        _inner = inner;
        _scheduler = scheduler;
        _first = first;
        _max = max;
    }

    /// <summary>At a terminal: the status line shows the time every second.</summary>
    public static WaitingProgress ForTerminal(IProgress<string> inner, IScheduler scheduler) =>
        new(inner, scheduler, TerminalInterval, TerminalInterval);

    /// <summary>Scripted: a plain line after 5 s, 10 s, 20 s, ... then every minute.</summary>
    public static WaitingProgress ForScript(IProgress<string> inner, IScheduler scheduler) =>
        new(inner, scheduler, ScriptedFirstInterval, ScriptedMaxInterval);

    /// <summary>The status in words with how long it has lasted: "waiting for the peer (1 min 5 s)".</summary>
    /// <remarks>Rounded to the nearest second: a timer that fires a few milliseconds early still shows "5 s", not "4 s".</remarks>
    public static string WithElapsed(string status, TimeSpan elapsed) =>
        $"{status} ({UserSentences.Duration(TimeSpan.FromSeconds(Math.Round(elapsed.TotalSeconds)))})";

    /// <summary>A phase is not a wait to time: it goes straight on where the inner progress takes phases (typed states).</summary>
    void IProgress<ConnectPhase>.Report(ConnectPhase value) => (_inner as IProgress<ConnectPhase>)?.Report(value);

    public void Report(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        long generation;
        lock (_gate)
        {
            if (_disposed) return;
            _status = value;
            _since = _scheduler.Now;
            generation = ++_generation;
        }

        _inner.Report(value);
        Schedule(generation, _first);
    }

    private void Schedule(long generation, TimeSpan after)
    {
        var next = _scheduler.Schedule(after, () => Tick(generation, after));
        lock (_gate)
        {
            // Only the newest status keeps a timer; assigning under the lock keeps an older one from replacing it.
            if (_disposed || generation != _generation)
                next.Dispose();
            else
                _timer.Disposable = next;
        }
    }

    private void Tick(long generation, TimeSpan gap)
    {
        string line;
        lock (_gate)
        {
            if (_disposed || generation != _generation || _status is null) return;
            line = WithElapsed(_status, _scheduler.Now - _since);
        }

        _inner.Report(line);
        var doubled = gap * 2;
        Schedule(generation, doubled > _max ? _max : doubled);
    }

    /// <summary>Stops the repeats (the wait is over).</summary>
    public void Dispose()
    {
        lock (_gate)
            _disposed = true;
        _timer.Dispose();
    }
}
