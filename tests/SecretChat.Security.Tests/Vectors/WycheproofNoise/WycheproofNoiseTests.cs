using SecretChat.Security.Ciphers;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Tests.Vectors.WycheproofNoise;

/// <summary>Wycheproof X25519 and ChaCha20-Poly1305 through the wrappers the Noise sessions use.</summary>
public sealed class WycheproofNoiseTests
{
    [Fact]
    public void X25519_EveryCase_AgreesOrRefusesAllZeroSecrets()
    {
        using var document = WycheproofFile.Load("x25519_test.json");
        int agreed = 0, refusedZero = 0, total = 0;
        Span<byte> shared = stackalloc byte[32];
        foreach (var test in WycheproofFile.Tests(document))
        {
            total++;
            var id = test.GetProperty("tcId").GetInt32();
            var result = test.GetProperty("result").GetString();
            var expected = Convert.FromHexString(test.GetProperty("shared").GetString()!);
            var ok = X25519Dh.TryAgree(test.Hex("private"), test.Hex("public"), shared);
            if (expected.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                Assert.False(ok, $"tcId {id}: an all-zero shared secret must be refused.");
                Assert.True(test.HasFlag("ZeroSharedSecret"), $"tcId {id}");
                refusedZero++;
                continue;
            }
            Assert.True(result is "valid" or "acceptable", $"tcId {id}: unexpected result {result}.");
            Assert.True(ok, $"tcId {id}");
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(shared));
            agreed++;
        }
        Assert.Equal(518, total);
        Assert.Equal(487, agreed);
        Assert.Equal(31, refusedZero);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChaCha20Poly1305_EveryCase_MatchesOrIsCountedUnsupported(bool forceManaged)
    {
        using var document = WycheproofFile.Load("chacha20_poly1305_test.json");
        int passed = 0, unsupported = 0;
        foreach (var test in WycheproofFile.Tests(document))
        {
            var id = test.GetProperty("tcId").GetInt32();
            var result = test.GetProperty("result").GetString();
            byte[] key = test.Hex("key"), iv = test.Hex("iv"), aad = test.Hex("aad"), msg = test.Hex("msg");
            byte[] sealedBytes = [.. test.Hex("ct"), .. test.Hex("tag")];
            using var aead = new ChaCha20Poly1305Aead(key, forceManaged);
            Assert.Equal(forceManaged || !System.Security.Cryptography.ChaCha20Poly1305.IsSupported, aead.IsManaged);

            if (iv.Length != ChaCha20Poly1305Aead.NonceSize)
            {
                Assert.True(test.HasFlag("InvalidNonceSize"), $"tcId {id}");
                Assert.Throws<ArgumentException>(() => aead.Seal(iv, aad, msg, new byte[msg.Length + 16]));
                unsupported++;
                continue;
            }

            var opened = new byte[msg.Length];
            var ok = aead.TryOpen(iv, aad, sealedBytes, opened);
            if (result == "valid")
            {
                Assert.True(ok, $"tcId {id}");
                Assert.Equal(msg, opened);
                var produced = new byte[msg.Length + 16];
                aead.Seal(iv, aad, msg, produced);
                Assert.Equal(sealedBytes, produced);
            }
            else
            {
                Assert.False(ok, $"tcId {id}: {test.GetProperty("comment").GetString()}");
                Assert.All(opened, b => Assert.Equal(0, b));
            }
            passed++;
        }
        Assert.Equal(316, passed);
        Assert.Equal(9, unsupported);
    }
}
