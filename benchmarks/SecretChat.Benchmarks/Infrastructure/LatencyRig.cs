using System.Diagnostics;
using SecretChat.Security;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// One connected pair for the latency benchmarks: sends a 64-byte probe and times it to its delivery to the peer's
/// channel (or, for an acknowledged rig, to the acknowledgement's return), optionally while a bulk transfer of
/// 64 KiB messages runs in the same session.
/// </summary>
/// <remarks>
/// The arrival time is taken on the thread that delivers (or acknowledges) the probe, so the benchmark's own hop back
/// to the prober is not counted. The bulk transfer keeps at most <see cref="BulkInFlight"/> messages (1 MiB) sent and
/// not yet delivered, whatever the transport: a library whose send never blocks (LiteNetLib) would otherwise queue
/// without bound, and one that blocks later than another would queue more in front of the probe.
/// </remarks>
public abstract class LatencyRig : IAsyncDisposable
{
    public const int ProbeSize = 64;
    public const int BulkSize = TransportLimits.MaxMessageSize;
    public const int BulkInFlight = 16;

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _bulkCredits = new(BulkInFlight, BulkInFlight);
    private TaskCompletionSource<long>? _probe;
    private long _bulkDelivered;
    private CancellationTokenSource? _bulkStop;
    private Task _bulk = Task.CompletedTask;

    protected LatencyRig(string name, bool acknowledged)
    {
        Name = name;
        Acknowledged = acknowledged;
        Random.Shared.NextBytes(Probe);
        Random.Shared.NextBytes(Bulk);
    }

    /// <summary>The row's name in the plain loop's table.</summary>
    public string Name { get; }

    /// <summary>Whether a probe ends at the acknowledgement's return rather than at its delivery.</summary>
    public bool Acknowledged { get; }

    /// <summary>Bulk messages delivered so far: how much the bulk transfer moved while the probes waited.</summary>
    public long BulkDelivered => Volatile.Read(ref _bulkDelivered);

    protected byte[] Probe { get; } = new byte[ProbeSize];

    protected byte[] Bulk { get; } = new byte[BulkSize];

    /// <summary>Sends one probe; returns the time from the call to send it until it arrived (or was acknowledged).</summary>
    public async Task<TimeSpan> ProbeAsync()
    {
        var arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _probe, arrived);
        var start = Stopwatch.GetTimestamp();
        await SendProbeAsync().ConfigureAwait(false);
        long at;
        try
        {
            at = await arrived.Task.WaitAsync(Patience).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name}: a probe did not {(Acknowledged ? "come back acknowledged" : "arrive")} within {Patience.TotalSeconds} s.");
        }
        return Stopwatch.GetElapsedTime(start, at);
    }

    /// <summary>Starts the bulk transfer in the background: 64 KiB messages, 1 MiB in flight at most.</summary>
    public void StartBulk()
    {
        _bulkStop = new CancellationTokenSource();
        var stop = _bulkStop.Token;
        _bulk = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await _bulkCredits.WaitAsync(stop).ConfigureAwait(false);
                await SendAsync(Bulk).ConfigureAwait(false);
            }
        }, stop);
    }

    /// <summary>Stops the bulk transfer and waits until everything it sent has arrived, so the next probe starts idle.</summary>
    public async Task StopBulkAsync()
    {
        if (_bulkStop is null)
            return;
        await _bulkStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _bulk.WaitAsync(Patience).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop stopped waiting for a credit.
        }
        for (var i = 0; i < BulkInFlight; i++)
            if (!await _bulkCredits.WaitAsync(Patience).ConfigureAwait(false))
                throw new TimeoutException($"{Name}: the bulk transfer's last messages did not arrive.");
        _bulkCredits.Release(BulkInFlight);
        _bulkStop.Dispose();
        _bulkStop = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopBulkAsync().ConfigureAwait(false);
        await DisposeCoreAsync().ConfigureAwait(false);
        _bulkCredits.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Queues one message on the session (the probe or a bulk message; they may be concurrent).</summary>
    protected abstract ValueTask SendAsync(ReadOnlyMemory<byte> message);

    /// <summary>Sends the probe; an acknowledged rig also arranges for <see cref="Arrived"/> when its acknowledgement returns.</summary>
    protected virtual ValueTask SendProbeAsync() => SendAsync(Probe);

    protected abstract ValueTask DisposeCoreAsync();

    /// <summary>The receiving side got a message of <paramref name="length"/> bytes.</summary>
    protected void Received(long length)
    {
        if (length == BulkSize)
        {
            Interlocked.Increment(ref _bulkDelivered);
            _bulkCredits.Release();
        }
        else if (length == ProbeSize && !Acknowledged)
            Arrived();
    }

    /// <summary>The probe arrived (or its acknowledgement returned): now.</summary>
    protected void Arrived() => Volatile.Read(ref _probe)?.TrySetResult(Stopwatch.GetTimestamp());

    /// <summary>The session failed: the waiting probe fails too.</summary>
    protected void Failed(Exception error) => Volatile.Read(ref _probe)?.TrySetException(error);
}
