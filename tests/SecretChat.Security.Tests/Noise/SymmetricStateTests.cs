using System.Security.Cryptography;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Tests.Noise;

public sealed class SymmetricStateTests
{
    /// <summary>Noise §4.3 written out: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01); out2 = HMAC(temp, out1 || 0x02).</summary>
    private static (byte[] Output1, byte[] Output2) SpecHkdf(byte[] chainingKey, byte[] inputKeyMaterial)
    {
        var temp = HMACSHA256.HashData(chainingKey, inputKeyMaterial);
        var output1 = HMACSHA256.HashData(temp, new byte[] { 0x01 });
        var output2 = HMACSHA256.HashData(temp, output1.Append((byte)0x02).ToArray());
        return (output1, output2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(100)]
    public void Hkdf_AnyInputKeyMaterial_MatchesTheSpecConstruction(int inputLength)
    {
        var chainingKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var inputKeyMaterial = Enumerable.Range(0, inputLength).Select(i => (byte)(i + 1)).ToArray();
        var (expected1, expected2) = SpecHkdf(chainingKey, inputKeyMaterial);

        var output1 = new byte[32];
        var output2 = new byte[32];
        SymmetricState.Hkdf(chainingKey, inputKeyMaterial, output1, output2);

        Assert.Equal(expected1, output1);
        Assert.Equal(expected2, output2);
    }

    [Fact]
    public void Hkdf_FirstOutputAliasesChainingKey_StillMatchesTheSpec()
    {
        var chainingKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var (expected1, expected2) = SpecHkdf(chainingKey, [9, 9, 9]);

        var output2 = new byte[32];
        SymmetricState.Hkdf(chainingKey, [9, 9, 9], chainingKey, output2);

        Assert.Equal(expected1, chainingKey);
        Assert.Equal(expected2, output2);
    }
}
