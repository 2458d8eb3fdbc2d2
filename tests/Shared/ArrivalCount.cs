namespace SecretChat.Tests;

/// <summary>A count of things that arrived (on any thread), and a way to await it reaching a number.</summary>
public sealed class ArrivalCount
{
    private readonly Lock _gate = new();
    private readonly List<(long Target, TaskCompletionSource Reached)> _waiters = [];
    private long _value;

    public long Value
    {
        get
        {
            lock (_gate)
                return _value;
        }
    }

    public void Increment()
    {
        List<TaskCompletionSource> reached = [];
        lock (_gate)
        {
            _value++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= _value)
                {
                    reached.Add(_waiters[i].Reached);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var waiter in reached)
            waiter.TrySetResult();
    }

    /// <summary>Completes once <see cref="Value"/> is at least <paramref name="target"/>.</summary>
    public Task WhenAtLeastAsync(long target)
    {
        lock (_gate)
        {
            if (_value >= target)
                return Task.CompletedTask;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, reached));
            return reached.Task;
        }
    }
}
