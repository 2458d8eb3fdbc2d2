using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Vectors.Wycheproof;

public class HkdfWycheproofTests
{
    [Fact]
    public void HkdfSha256DeriveKey_WycheproofVectors_AllCasesPass()
    {
        using var document = WycheproofFile.Load("hkdf_sha256_test.json");
        int valid = 0, tooLarge = 0;
        var failures = new List<string>();

        foreach (var (_, test) in WycheproofFile.Cases(document))
        {
            var ikm = test.Hex("ikm");
            var salt = test.Hex("salt");
            var info = test.Hex("info");
            var output = new byte[test.GetProperty("size").GetInt32()];

            if (test.Result() == "valid")
            {
                HkdfSha256.DeriveKey(ikm, salt, info, output);
                if (!output.AsSpan().SequenceEqual(test.Hex("okm")))
                    failures.Add($"tcId {test.Id()}: wrong output");
                valid++;
            }
            else
            {
                Assert.Contains("SizeTooLarge", test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
                var thrown = Assert.ThrowsAny<ArgumentException>(() => HkdfSha256.DeriveKey(ikm, salt, info, output));
                Assert.Equal("output", thrown.ParamName);
                tooLarge++;
            }
        }

        Assert.Empty(failures);
        Assert.Equal(83, valid);
        Assert.Equal(3, tooLarge);
    }

    [Fact]
    public void HkdfSha256ExtractThenExpand_Rfc5869Case1_MatchesDeriveKey()
    {
        var ikm = Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Convert.FromHexString("000102030405060708090a0b0c");
        var info = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9");
        var prk = new byte[32];
        var okm = new byte[42];

        HkdfSha256.Extract(ikm, salt, prk);
        HkdfSha256.Expand(prk, info, okm);

        Assert.Equal("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", Convert.ToHexStringLower(prk));
        Assert.Equal(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            Convert.ToHexStringLower(okm));
    }
}
