using SecretChat.Security.Kem;

namespace SecretChat.Security.Tests.Vectors.Wycheproof;

/// <summary>
/// Wycheproof's ML-KEM-768 vectors through <see cref="MlKem768"/>: key generation from the seed, decapsulation
/// (including the implicit-rejection cases, which Wycheproof counts as valid: a damaged ciphertext of the right
/// length must yield the rejection key it names), and deterministic encapsulation.
/// </summary>
public sealed class MlKemWycheproofTests
{
    [Fact]
    public void Decapsulate_EveryCase_YieldsTheExpectedKeyOrRefusesTheSize()
    {
        using var document = WycheproofFile.Load("mlkem_768_test.json");
        int valid = 0, refusedSeed = 0, refusedCiphertext = 0;
        var publicKey = new byte[MlKem768.PublicKeySize];
        var secret = new byte[MlKem768.SharedSecretSize];
        foreach (var test in WycheproofFile.Tests(document))
        {
            var id = test.Id();
            var seed = test.Hex("seed");
            var ciphertext = test.Hex("c");
            if (test.Result() == "invalid")
            {
                // Wycheproof's invalid cases here are all of the wrong size: a seed or a ciphertext too short or too long.
                if (seed.Length != MlKem768.SeedSize)
                {
                    Assert.Throws<ArgumentException>("seed", () => MlKem768.Decapsulate(seed, ciphertext, secret));
                    refusedSeed++;
                }
                else
                {
                    Assert.NotEqual(MlKem768.CiphertextSize, ciphertext.Length);
                    Assert.Throws<ArgumentException>("ciphertext", () => MlKem768.Decapsulate(seed, ciphertext, secret));
                    refusedCiphertext++;
                }
                continue;
            }
            Assert.Equal("valid", test.Result());
            MlKem768.DerivePublicKey(seed, publicKey);
            if (test.TryGetProperty("ek", out _))
                Assert.True(test.Hex("ek").AsSpan().SequenceEqual(publicKey), $"tcId {id}: encapsulation key");
            MlKem768.Decapsulate(seed, ciphertext, secret);
            Assert.True(test.Hex("K").AsSpan().SequenceEqual(secret), $"tcId {id}: shared secret");
            valid++;
        }
        Assert.Equal(153, valid);
        Assert.Equal(20, refusedSeed);
        Assert.Equal(20, refusedCiphertext);
    }

    [Fact]
    public void Encapsulate_EveryCase_YieldsTheExpectedCiphertextAndKeyOrRefusesTheKey()
    {
        using var document = WycheproofFile.Load("mlkem_768_encaps_test.json");
        int valid = 0, refused = 0;
        var ciphertext = new byte[MlKem768.CiphertextSize];
        var secret = new byte[MlKem768.SharedSecretSize];
        foreach (var test in WycheproofFile.Tests(document))
        {
            var id = test.Id();
            ciphertext.AsSpan().Fill(0xAA);
            var ok = MlKem768.TryEncapsulate(test.Hex("ek"), ciphertext, secret, test.Hex("m"));
            if (test.Result() == "invalid")
            {
                // Not reduced modulo q (ModulusOverflow and "Public key not reduced"), too short or too long.
                Assert.False(ok, $"tcId {id}: an invalid encapsulation key must be refused.");
                Assert.True(ciphertext.AsSpan().IndexOfAnyExcept((byte)0xAA) < 0, $"tcId {id}: nothing written");
                refused++;
                continue;
            }
            Assert.True(ok, $"tcId {id}");
            Assert.True(test.Hex("c").AsSpan().SequenceEqual(ciphertext), $"tcId {id}: ciphertext");
            Assert.True(test.Hex("K").AsSpan().SequenceEqual(secret), $"tcId {id}: shared secret");
            valid++;
        }
        Assert.Equal(133, valid);
        Assert.Equal(132, refused);
    }

    [Fact]
    public void KeyPair_FreshSeed_EncapsulationAndDecapsulationAgree()
    {
        var seed = new byte[MlKem768.SeedSize];
        MlKem768.GenerateSeed(seed);
        var publicKey = new byte[MlKem768.PublicKeySize];
        MlKem768.DerivePublicKey(seed, publicKey);
        var ciphertext = new byte[MlKem768.CiphertextSize];
        byte[] sent = new byte[32], received = new byte[32];
        Assert.True(MlKem768.TryEncapsulate(publicKey, ciphertext, sent));
        MlKem768.Decapsulate(seed, ciphertext, received);
        Assert.Equal(sent, received);

        ciphertext[0] ^= 1; // implicit rejection: a secret, but not the one that was sent
        MlKem768.Decapsulate(seed, ciphertext, received);
        Assert.NotEqual(sent, received);
    }
}
