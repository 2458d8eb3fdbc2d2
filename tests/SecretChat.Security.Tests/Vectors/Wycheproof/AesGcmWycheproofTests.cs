using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Vectors.Wycheproof;

public class AesGcmWycheproofTests
{
    // Both backends: libsodium (32-byte keys, where the CPU accelerates AES) and .NET's AesGcm (forced).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AesGcmAead_WycheproofVectors_AllTwelveByteNonceCasesPassAndOthersAreRefused(bool forcePlatform)
    {
        using var document = WycheproofFile.Load("aes_gcm_test.json");
        int run = 0, unsupported = 0;
        var failures = new List<string>();

        foreach (var (_, test) in WycheproofFile.Cases(document))
        {
            var key = test.Hex("key");
            var iv = test.Hex("iv");
            var aad = test.Hex("aad");
            var msg = test.Hex("msg");
            var sealedBytes = test.Hex("ct").Concat(test.Hex("tag")).ToArray();
            var valid = test.Result() == "valid";
            using var aead = new AesGcmAead(key, forcePlatform);

            if (iv.Length != AesGcmAead.NonceSize)
            {
                // .NET (and so our wrapper) takes only 96-bit nonces; it must refuse, never misbehave.
                Assert.Throws<ArgumentException>(() => aead.TryOpen(iv, aad, sealedBytes, new byte[sealedBytes.Length]));
                unsupported++;
                continue;
            }

            run++;
            var opened = new byte[Math.Max(0, sealedBytes.Length - AesGcmAead.TagSize)];
            var ok = aead.TryOpen(iv, aad, sealedBytes, opened);
            if (valid)
            {
                var resealed = new byte[msg.Length + AesGcmAead.TagSize];
                aead.Seal(iv, aad, msg, resealed);
                if (!ok || !opened.AsSpan().SequenceEqual(msg) || !resealed.AsSpan().SequenceEqual(sealedBytes))
                    failures.Add($"tcId {test.Id()}: valid case did not round-trip");
            }
            else if (ok || opened.Any(b => b != 0))
            {
                failures.Add($"tcId {test.Id()}: invalid case was accepted or left plaintext behind");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(197, run);
        Assert.Equal(119, unsupported);
    }
}
