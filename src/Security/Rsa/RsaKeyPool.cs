using System.Security.Cryptography;

namespace SecretChat.Security.Rsa;

/// <summary>
/// RSA-2048 key pairs made ahead of time on the thread pool, so a responder never waits the hundreds of
/// milliseconds that key generation takes. Keeps <see cref="Capacity"/> keys ready and refills after each
/// <see cref="Take"/>; at most one refill task runs at a time and it ends once the pool is full, so the pool
/// holds no thread while idle. Thread-safe.
/// </summary>
public sealed class RsaKeyPool : IDisposable
{
    /// <summary>The modulus size of every key the pool makes.</summary>
    public const int KeySizeInBits = 2048;

    private static readonly Lazy<RsaKeyPool> s_shared = new(() => new RsaKeyPool(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly object _gate = new();
    private readonly Queue<RSA> _ready = new();
    private Task _refill = Task.CompletedTask;
    private bool _refilling;
    private bool _disposed;
    private long _taken;

    /// <summary>A pool that keeps <paramref name="capacity"/> one-time RSA key pairs ready; it starts empty.</summary>
    /// <param name="capacity">How many key pairs to keep ready (at least 1).</param>
    public RsaKeyPool(int capacity = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>One pool for the whole process, used by <see cref="RsaSecurity"/> unless it is given another. Never disposed.</summary>
    public static RsaKeyPool Shared => s_shared.Value;

    /// <summary>How many key pairs the pool keeps ready.</summary>
    public int Capacity { get; }

    /// <summary>How many key pairs are ready now.</summary>
    public int Available
    {
        get { lock (_gate) return _ready.Count; }
    }

    /// <summary>The refill running now, or the last one (completed); starts nothing. For tests that observe a refill.</summary>
    internal Task CurrentRefill
    {
        get { lock (_gate) return _refill; }
    }

    /// <summary>
    /// Starts filling the pool if it is not full, and returns a task that completes when the refill that is
    /// running ends (the pool is full then, unless keys were taken meanwhile or the pool was disposed).
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; the refill itself goes on.</param>
    public Task WarmAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StartRefillLocked();
            return (_refilling ? _refill : Task.CompletedTask).WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Hands over a fresh key pair that nobody else will get; the caller disposes it. Generates one inline only
    /// when the pool is empty. Either way a refill starts in the background.
    /// </summary>
    public RSA Take()
    {
        RSA? key;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _taken++;
            _ready.TryDequeue(out key);
            StartRefillLocked();
        }
        return key ?? Generate();
    }

    /// <summary>
    /// Keys handed out by <see cref="Take"/> so far (from the pool or generated inline): each is a handshake's RSA-2048 key,
    /// so this counts what strangers made this side spend.
    /// </summary>
    public long Taken
    {
        get
        {
            lock (_gate)
                return _taken;
        }
    }

    /// <summary>Disposes the keys that are ready; a refill that is running discards what it makes.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            while (_ready.TryDequeue(out var key))
                key.Dispose();
        }
    }

    internal static RSA Generate() => RSA.Create(KeySizeInBits);

    private void StartRefillLocked()
    {
        if (_disposed || _refilling || _ready.Count >= Capacity)
            return;
        _refilling = true;
        _refill = Task.Run(Refill);
    }

    private void Refill()
    {
        while (true)
        {
            lock (_gate)
            {
                // Cleared under the same lock that saw the pool full, so any later Take starts a new refill.
                if (_disposed || _ready.Count >= Capacity)
                {
                    _refilling = false;
                    return;
                }
            }
            RSA key;
            try
            {
                key = Generate();
            }
            catch
            {
                lock (_gate)
                    _refilling = false;
                throw;
            }
            lock (_gate)
            {
                if (_disposed)
                {
                    _refilling = false;
                    key.Dispose();
                    return;
                }
                _ready.Enqueue(key);
            }
        }
    }
}
