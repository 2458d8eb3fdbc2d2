namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// Counts what a receiver got and completes when an expected amount has arrived, so a throughput
/// operation ends only when the receiver has everything. Fails instead of hanging if nothing arrives.
/// </summary>
public sealed class Delivery
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private long _expected = long.MaxValue;
    private long _received;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts a round: resets the count; the returned task completes once <paramref name="bytes"/> have arrived.</summary>
    public Task Expect(long bytes)
    {
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _received, 0);
        Volatile.Write(ref _expected, bytes);
        return _done.Task.WaitAsync(Patience);
    }

    /// <summary>Called by the receiver for every piece that arrives.</summary>
    public void Add(long bytes)
    {
        if (Interlocked.Add(ref _received, bytes) >= Volatile.Read(ref _expected))
            _done.TrySetResult();
    }

    /// <summary>The receiver failed: the round fails too.</summary>
    public void Fail(Exception error) => _done.TrySetException(error);
}
