using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Ciphers;

public class AesGcmCipherStateTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Ad = "header"u8.ToArray();
    private static readonly byte[] Plaintext = "attack at dawn"u8.ToArray();

    private static (AesGcmCipherState Sender, AesGcmCipherState Receiver) Pair() => (new(Key), new(Key));

    private static byte[] Seal(CipherState state, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad)
    {
        var sealedBytes = new byte[plaintext.Length + state.TagSize];
        state.Seal(ad, plaintext, sealedBytes);
        return sealedBytes;
    }

    [Fact]
    public void AesGcmCipherState_RoundTrip_OpensWhatWasSealedAndAdvancesBothCounters()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;

        for (var i = 0; i < 3; i++)
        {
            var sealedBytes = Seal(sender, Plaintext, Ad);
            var opened = new byte[Plaintext.Length];
            Assert.True(receiver.TryOpen(Ad, sealedBytes, opened));
            Assert.Equal(Plaintext, opened);
        }
        Assert.Equal(16, sender.TagSize);
        Assert.Equal(3UL, sender.Nonce);
        Assert.Equal(3UL, receiver.Nonce);
    }

    [Fact]
    public void AesGcmCipherState_NonceLayout_IsFourZeroBytesThenBigEndianCounter()
    {
        using var state = new AesGcmCipherState(Key);
        var sealedBytes = new byte[Plaintext.Length + 16];
        state.Seal(0x0102030405060708, Ad, Plaintext, sealedBytes);

        var nonce = Convert.FromHexString("000000000102030405060708");
        using var reference = new AesGcm(Key, 16);
        var ciphertext = new byte[Plaintext.Length];
        var tag = new byte[16];
        reference.Encrypt(nonce, Plaintext, ciphertext, tag, Ad);

        Assert.Equal(ciphertext.Concat(tag), sealedBytes);
    }

    [Theory]
    [InlineData("ciphertext")]
    [InlineData("tag")]
    [InlineData("ad")]
    public void AesGcmCipherState_FlippedBit_FailsAndKeepsCounter(string where)
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        var sealedBytes = Seal(sender, Plaintext, Ad);
        var ad = (byte[])Ad.Clone();
        switch (where)
        {
            case "ciphertext": sealedBytes[0] ^= 0x01; break;
            case "tag": sealedBytes[^1] ^= 0x80; break;
            case "ad": ad[2] ^= 0x04; break;
        }

        var opened = new byte[Plaintext.Length];
        Assert.False(receiver.TryOpen(ad, sealedBytes, opened));
        Assert.Equal(0UL, receiver.Nonce);
        Assert.All(opened, b => Assert.Equal(0, b));
    }

    [Fact]
    public void AesGcmCipherState_TooShortInput_ReturnsFalse()
    {
        using var receiver = new AesGcmCipherState(Key);
        Assert.False(receiver.TryOpen(Ad, new byte[15], new byte[0]));
        Assert.False(receiver.TryOpen(0, Ad, ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
        Assert.Equal(0UL, receiver.Nonce);
    }

    [Fact]
    public void AesGcmCipherState_ReplayedFrame_FailsWithImplicitCounter()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        var first = Seal(sender, Plaintext, Ad);
        var opened = new byte[Plaintext.Length];
        Assert.True(receiver.TryOpen(Ad, first, opened));

        Assert.False(receiver.TryOpen(Ad, first, opened));
        Assert.Equal(1UL, receiver.Nonce);
    }

    [Fact]
    public void AesGcmCipherState_ReorderedFrames_FailWithImplicitCounter()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        var first = Seal(sender, Plaintext, Ad);
        var second = Seal(sender, Plaintext, Ad);
        var opened = new byte[Plaintext.Length];

        Assert.False(receiver.TryOpen(Ad, second, opened));
        Assert.True(receiver.TryOpen(Ad, first, opened));
        Assert.True(receiver.TryOpen(Ad, second, opened));
    }

    [Fact]
    public void AesGcmCipherState_ExplicitNonce_OpensOnlyWithTheSameNonceAndChangesNoCounter()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        var sealedBytes = new byte[Plaintext.Length + 16];
        sender.Seal(41, Ad, Plaintext, sealedBytes);
        var opened = new byte[Plaintext.Length];

        Assert.False(receiver.TryOpen(40, Ad, sealedBytes, opened));
        Assert.True(receiver.TryOpen(41, Ad, sealedBytes, opened));
        Assert.Equal(Plaintext, opened);
        Assert.True(receiver.TryOpen(41, Ad, sealedBytes, opened)); // replay protection is the replay window's job
        Assert.Equal(0UL, sender.Nonce);
        Assert.Equal(0UL, receiver.Nonce);
    }

    [Fact]
    public void AesGcmCipherState_ImplicitCounterAtMaxNonce_SealsOnceThenThrowsNonceExhausted()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        CipherStateCounter.SetNonce(sender, CipherState.MaxNonce);
        CipherStateCounter.SetNonce(receiver, CipherState.MaxNonce);

        var last = Seal(sender, Plaintext, Ad);
        var opened = new byte[Plaintext.Length];
        Assert.True(receiver.TryOpen(Ad, last, opened));

        Assert.Throws<NonceExhaustedException>(() => Seal(sender, Plaintext, Ad));
        Assert.Throws<NonceExhaustedException>(() => receiver.TryOpen(Ad, last, opened));
    }

    [Fact]
    public void AesGcmCipherState_ExplicitReservedNonce_SealThrowsAndOpenFails()
    {
        using var state = new AesGcmCipherState(Key);
        var sealedBytes = new byte[Plaintext.Length + 16];

        Assert.Throws<NonceExhaustedException>(() => state.Seal(ulong.MaxValue, Ad, Plaintext, sealedBytes));
        Assert.False(state.TryOpen(ulong.MaxValue, Ad, sealedBytes, new byte[Plaintext.Length]));
    }

    [Fact]
    public void AesGcmCipherState_Dispose_WipesKeyAndRefusesUse()
    {
        var state = new AesGcmCipherState(Key);
        var key = state.KeyMaterial;
        Assert.Equal(Key, key.ToArray());

        state.Dispose();
        state.Dispose();

        Assert.All(key.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => state.Seal(0, Ad, Plaintext, new byte[Plaintext.Length + 16]));
    }

    [Fact]
    public void AesGcmCipherState_SealAndTryOpen_DoNotAllocate()
    {
        var (sender, receiver) = Pair();
        using var _ = sender;
        using var __ = receiver;
        var sealedBytes = new byte[Plaintext.Length + 16];
        var opened = new byte[Plaintext.Length];
        sender.Seal(Ad, Plaintext, sealedBytes);
        Assert.True(receiver.TryOpen(Ad, sealedBytes, opened));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            sender.Seal(Ad, Plaintext, sealedBytes);
            receiver.TryOpen(Ad, sealedBytes, opened);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AesGcmCipherState_Constructor_RejectsKeyThatIsNot32Bytes()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new AesGcmCipherState(new byte[16]));
        Assert.Equal("key", thrown.ParamName);
    }

    [Fact]
    public void AesGcmCipherState_ShortDestination_Throws()
    {
        using var state = new AesGcmCipherState(Key);
        var thrown = Assert.Throws<ArgumentException>(() => state.Seal(0, Ad, Plaintext, new byte[Plaintext.Length + 15]));
        Assert.Equal("destination", thrown.ParamName);
    }
}
