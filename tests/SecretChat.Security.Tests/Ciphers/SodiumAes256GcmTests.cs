using System.Security.Cryptography;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Ciphers;

/// <summary>libsodium's AES-256-GCM behind <see cref="AesGcmAead"/>: used where it can run, the same bytes as .NET's.</summary>
public sealed class SodiumAes256GcmTests
{
    private static readonly byte[] Key = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42];

    [Fact]
    public void IsAvailable_OnAnX64CpuWithAesAndPclmul_IsTrue()
    {
        // The fast path must not fall back silently (a missing libsodium, a failed probe) where it should run.
        if (!System.Runtime.Intrinsics.X86.Aes.IsSupported || !System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported)
            return; // Not such a CPU (ARM, or x64 without AES-NI): .NET's AesGcm is the backend there.
        Assert.True(SodiumAes256Gcm.IsAvailable);
        using var aead = new AesGcmAead(Key);
        Assert.True(aead.IsSodium);
        using var forced = new AesGcmAead(Key, forcePlatform: true);
        Assert.False(forced.IsSodium);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(15, 7)]
    [InlineData(16, 16)]
    [InlineData(1024, 0)]
    [InlineData(1031, 13)]
    [InlineData(65519, 0)]
    public void AesGcmAead_SodiumAndPlatform_SealTheSameBytesAndOpenEachOther(int length, int adLength)
    {
        if (!SodiumAes256Gcm.IsAvailable)
            return; // No AES instructions here; IsAvailable_OnAnX64CpuWithAesAndPclmul_IsTrue says where it must be.
        var plaintext = RandomNumberGenerator.GetBytes(length);
        var ad = RandomNumberGenerator.GetBytes(adLength);
        using var sodium = new AesGcmAead(Key);
        using var platform = new AesGcmAead(Key, forcePlatform: true);
        var bySodium = new byte[length + Aead.TagSize];
        var byPlatform = new byte[length + Aead.TagSize];

        sodium.Seal(Nonce, ad, plaintext, bySodium);
        platform.Seal(Nonce, ad, plaintext, byPlatform);

        Assert.Equal(byPlatform, bySodium);
        var opened = new byte[length];
        Assert.True(sodium.TryOpen(Nonce, ad, byPlatform, opened));
        Assert.Equal(plaintext, opened);
        Assert.True(platform.TryOpen(Nonce, ad, bySodium, opened));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void SodiumAes256Gcm_FlippedBitAnywhere_IsRefusedAndLeavesNoPlaintext()
    {
        if (!SodiumAes256Gcm.IsAvailable)
            return; // No AES instructions here; IsAvailable_OnAnX64CpuWithAesAndPclmul_IsTrue says where it must be.
        using var aead = new AesGcmAead(Key);
        var plaintext = RandomNumberGenerator.GetBytes(100);
        var sealedBytes = new byte[plaintext.Length + Aead.TagSize];
        aead.Seal(Nonce, default, plaintext, sealedBytes);

        foreach (var index in new[] { 0, 50, 99, 100, 115 })
        {
            var tampered = sealedBytes.ToArray();
            tampered[index] ^= 1;
            var opened = Enumerable.Repeat((byte)0xAA, plaintext.Length).ToArray();
            Assert.False(aead.TryOpen(Nonce, default, tampered, opened));
            Assert.All(opened, b => Assert.Equal(0, b));
        }

        var wrongNonce = Nonce.ToArray();
        wrongNonce[^1] ^= 1;
        Assert.False(aead.TryOpen(wrongNonce, default, sealedBytes, new byte[plaintext.Length]));
    }

    [Fact]
    public void SodiumAes256Gcm_Dispose_WipesTheKeyScheduleAndTheKey()
    {
        if (!SodiumAes256Gcm.IsAvailable)
            return; // No AES instructions here; IsAvailable_OnAnX64CpuWithAesAndPclmul_IsTrue says where it must be.
        var aead = new AesGcmAead(Key);
        var key = aead.KeyMaterial;
        Assert.True(aead.IsSodium);

        aead.Dispose();

        Assert.All(key.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => aead.Seal(Nonce, default, [1], new byte[17]));
    }

    [Fact]
    public void SodiumAes256Gcm_KeyOfAnotherLength_IsRefusedNamingTheKey()
    {
        if (!SodiumAes256Gcm.IsAvailable)
            return; // No AES instructions here; IsAvailable_OnAnX64CpuWithAesAndPclmul_IsTrue says where it must be.
        var e = Assert.Throws<ArgumentException>(() => new SodiumAes256Gcm(new byte[16]));
        Assert.Equal("key", e.ParamName);
    }
}
