using System.Security.Cryptography;
using SecretChat.Security.Rsa;

namespace SecretChat.Security.Tests.Rsa;

public class RsaKeyPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static string Modulus(RSA key) => Convert.ToHexString(key.ExportParameters(false).Modulus!);

    [Fact]
    public async Task RsaKeyPool_TakeAfterWarm_HandsOutDistinctKeysAndRefills()
    {
        using var pool = new RsaKeyPool(capacity: 2);
        await pool.WarmAsync().WaitAsync(Patience);
        Assert.Equal(2, pool.Available);

        using var first = pool.Take();
        using var second = pool.Take();
        using var third = pool.Take(); // the pool may be empty here: then it is made inline
        await pool.WarmAsync().WaitAsync(Patience);

        Assert.Equal(2, pool.Available);
        Assert.Equal(3, new[] { Modulus(first), Modulus(second), Modulus(third) }.Distinct().Count());
        Assert.All(new[] { first, second, third }, k => Assert.Equal(2048, k.KeySize));
        using var fourth = pool.Take();
        Assert.DoesNotContain(Modulus(fourth), new[] { Modulus(first), Modulus(second), Modulus(third) });
    }

    [Fact]
    public async Task RsaKeyPool_WarmWaitCancelled_StopsWaitingWhileTheRefillGoesOn()
    {
        using var pool = new RsaKeyPool(capacity: 2);
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.WarmAsync(stopped.Token));

        await pool.WarmAsync().WaitAsync(Patience);
        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public async Task RsaKeyPool_ConcurrentTakes_NeverHandOutTheSameKeyTwice()
    {
        using var pool = new RsaKeyPool(capacity: 3);
        await pool.WarmAsync().WaitAsync(Patience);

        var keys = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(pool.Take))).WaitAsync(Patience);

        Assert.Equal(4, keys.Select(Modulus).Distinct().Count());
        foreach (var key in keys)
            key.Dispose();
    }

    [Fact]
    public async Task RsaKeyPool_Dispose_DisposesReadyKeysAndRefusesTakes()
    {
        var pool = new RsaKeyPool();
        await pool.WarmAsync().WaitAsync(Patience);

        pool.Dispose();
        pool.Dispose();

        Assert.Equal(0, pool.Available);
        Assert.Throws<ObjectDisposedException>(() => pool.Take());
        Assert.Throws<ObjectDisposedException>(() => { _ = pool.WarmAsync(); });
    }

    [Fact]
    public void RsaKeyPool_CapacityBelowOne_Throws()
    {
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => new RsaKeyPool(0));
        Assert.Equal("capacity", thrown.ParamName);
    }

    [Fact]
    public async Task RsaSecurity_Created_StartsFillingItsPool()
    {
        using var pool = new RsaKeyPool();
        Assert.True(pool.CurrentRefill.IsCompleted);
        Assert.Equal(0, pool.Available);

        _ = new RsaSecurity(pool);

        // Observe the refill the constructor started (WarmAsync here would start one itself and prove nothing).
        var refill = pool.CurrentRefill;
        Assert.False(refill.IsCompleted && pool.Available == 0, "creating the module started no refill");
        await refill.WaitAsync(Patience);
        Assert.Equal(1, pool.Available);
    }
}
