using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Ciphers;

public sealed class ChaChaPolyCipherStateTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Seal_ThenTryOpen_RoundTripsAndAdvancesBothCounters()
    {
        using var sender = new ChaChaPolyCipherState(Key);
        using var receiver = new ChaChaPolyCipherState(Key);
        for (var i = 0; i < 3; i++)
        {
            var plaintext = new byte[] { 1, 2, 3, (byte)i };
            var sealedBytes = new byte[plaintext.Length + sender.TagSize];
            sender.Seal([9], plaintext, sealedBytes);
            var opened = new byte[plaintext.Length];
            Assert.True(receiver.TryOpen([9], sealedBytes, opened));
            Assert.Equal(plaintext, opened);
        }
        Assert.Equal(3ul, sender.Nonce);
        Assert.Equal(3ul, receiver.Nonce);
    }

    [Fact]
    public void TryOpen_FlippedBit_ReturnsFalseAndKeepsCounter()
    {
        using var sender = new ChaChaPolyCipherState(Key);
        using var receiver = new ChaChaPolyCipherState(Key);
        var sealedBytes = new byte[5 + 16];
        sender.Seal([], [1, 2, 3, 4, 5], sealedBytes);
        sealedBytes[2] ^= 1;
        Assert.False(receiver.TryOpen([], sealedBytes, new byte[5]));
        Assert.Equal(0ul, receiver.Nonce);
        Assert.False(receiver.TryOpen([], new byte[15], new byte[0]));
    }

    [Fact]
    public void Seal_Nonce_IsFourZeroBytesThenLittleEndianCounter()
    {
        using var state = new ChaChaPolyCipherState(Key);
        using var raw = new ChaCha20Poly1305Aead(Key);
        var viaState = new byte[16 + 3];
        state.Seal(0x0102030405060708, [7], [1, 2, 3], viaState);
        var viaRaw = new byte[16 + 3];
        raw.Seal([0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1], [7], [1, 2, 3], viaRaw);
        Assert.Equal(viaRaw, viaState);
    }

    [Fact]
    public void Seal_PlatformAndBouncyCastle_ProduceTheSameBytes()
    {
        using var platform = new ChaChaPolyCipherState(Key);
        using var managed = new ChaChaPolyCipherState(Key, forceManaged: true);
        var a = new byte[100 + 16];
        var b = new byte[100 + 16];
        var plaintext = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        platform.Seal(5, [1], plaintext, a);
        managed.Seal(5, [1], plaintext, b);
        Assert.Equal(a, b);
        var opened = new byte[100];
        Assert.True(managed.TryOpen(5, [1], a, opened));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Seal_ReservedNonce_Throws()
    {
        using var state = new ChaChaPolyCipherState(Key);
        Assert.Throws<NonceExhaustedException>(() => state.Seal(ulong.MaxValue, [], [], new byte[16]));
        Assert.False(state.TryOpen(ulong.MaxValue, [], new byte[16], []));
    }

    [Fact]
    public void Constructor_WrongKeySize_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new ChaChaPolyCipherState(new byte[31]));
        Assert.Equal("key", e.ParamName);
    }

    [Fact]
    public void SealAndTryOpen_SteadyState_AllocateNothing()
    {
        if (!ChaCha20Poly1305.IsSupported)
            return; // Only the platform path promises zero allocations.
        using var sender = new ChaChaPolyCipherState(Key);
        using var receiver = new ChaChaPolyCipherState(Key);
        var plaintext = new byte[256];
        var sealedBytes = new byte[256 + 16];
        var opened = new byte[256];
        var ad = new byte[8];
        for (var i = 0; i < 10; i++)
        {
            sender.Seal(ad, plaintext, sealedBytes);
            Assert.True(receiver.TryOpen(ad, sealedBytes, opened));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            sender.Seal(ad, plaintext, sealedBytes);
            receiver.TryOpen(ad, sealedBytes, opened);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dispose_ThenSeal_Throws()
    {
        var state = new ChaChaPolyCipherState(Key);
        state.Dispose();
        Assert.Throws<ObjectDisposedException>(() => state.Seal([], [], new byte[16]));
    }
}
