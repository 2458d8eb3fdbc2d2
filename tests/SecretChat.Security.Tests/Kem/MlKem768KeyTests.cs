using SecretChat.Security.Kem;

namespace SecretChat.Security.Tests.Kem;

/// <summary>The key objects the hybrid handshake keeps: a private key expanded once for one decapsulation, a peer key parsed once.</summary>
public sealed class MlKem768KeyTests
{
    [Fact]
    public void PrivateKey_DecapsulatedOnce_SecondUseThrowsAndHoldsNothing()
    {
        var seed = new byte[MlKem768.SeedSize];
        MlKem768.GenerateSeed(seed);
        var publicKeyBytes = new byte[MlKem768.PublicKeySize];
        using var key = MlKem768.CreatePrivateKey(seed, publicKeyBytes);
        var publicKey = MlKem768.TryParsePublicKey(publicKeyBytes);
        Assert.NotNull(publicKey);
        var ciphertext = new byte[MlKem768.CiphertextSize];
        byte[] sent = new byte[32], received = new byte[32];
        MlKem768.Encapsulate(publicKey, ciphertext, sent);

        Assert.True(key.IsAlive);
        key.Decapsulate(ciphertext, received);
        Assert.Equal(sent, received);
        Assert.False(key.IsAlive);
        Assert.Throws<InvalidOperationException>(() => key.Decapsulate(ciphertext, received));
    }

    [Fact]
    public void PrivateKey_Disposed_DecapsulationThrows()
    {
        var seed = new byte[MlKem768.SeedSize];
        MlKem768.GenerateSeed(seed);
        var key = MlKem768.CreatePrivateKey(seed, new byte[MlKem768.PublicKeySize]);
        key.Dispose();
        Assert.False(key.IsAlive);
        Assert.Throws<InvalidOperationException>(() => key.Decapsulate(new byte[MlKem768.CiphertextSize], new byte[32]));
    }

    [Fact]
    public void Encapsulate_SharedRandomness_FreshCiphertextEachTime()
    {
        var publicKeyBytes = new byte[MlKem768.PublicKeySize];
        var seed = new byte[MlKem768.SeedSize];
        MlKem768.GenerateSeed(seed);
        MlKem768.DerivePublicKey(seed, publicKeyBytes);
        var publicKey = MlKem768.TryParsePublicKey(publicKeyBytes)!;
        byte[] first = new byte[MlKem768.CiphertextSize], second = new byte[MlKem768.CiphertextSize];
        byte[] firstSecret = new byte[32], secondSecret = new byte[32];
        MlKem768.Encapsulate(publicKey, first, firstSecret);
        MlKem768.Encapsulate(publicKey, second, secondSecret);
        Assert.NotEqual(first, second);
        Assert.NotEqual(firstSecret, secondSecret);
    }

    [Theory]
    [InlineData(MlKem768.PublicKeySize - 1)]
    [InlineData(MlKem768.PublicKeySize + 1)]
    [InlineData(0)]
    public void TryParsePublicKey_WrongLength_Null(int length) =>
        Assert.Null(MlKem768.TryParsePublicKey(new byte[length]));

    [Fact]
    public void TryParsePublicKey_CoefficientNotReduced_Null()
    {
        var publicKey = new byte[MlKem768.PublicKeySize];
        publicKey.AsSpan(0, 3).Fill(0xFF); // 4095 > q
        Assert.Null(MlKem768.TryParsePublicKey(publicKey));
    }
}
