using System.Security.Cryptography;
using SecretChat.Security.Rsa;

namespace SecretChat.Security.Tests.Vectors.Wycheproof;

public class RsaOaepWycheproofTests
{
    [Fact]
    public void RsaOaepTryDecrypt_WycheproofVectors_EmptyLabelCasesPassAndLabelledAreCounted()
    {
        using var document = WycheproofFile.Load("rsa_oaep_2048_sha256_mgf1sha256_test.json");
        int run = 0, unsupported = 0, invalidRejected = 0;
        var failures = new List<string>();

        foreach (var (group, test) in WycheproofFile.Cases(document))
        {
            if (test.Hex("label").Length != 0)
            {
                // .NET's RSA API has no OAEP label parameter, and our protocol uses the empty label.
                unsupported++;
                continue;
            }

            run++;
            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(group.Hex("privateKeyPkcs8"), out _);
            var destination = new byte[rsa.KeySize / 8];
            var ok = RsaOaep.TryDecrypt(rsa, test.Hex("ct"), destination, out var written);
            var msg = test.Hex("msg");

            if (test.Result() == "valid")
            {
                if (!ok || !destination.AsSpan(0, written).SequenceEqual(msg))
                    failures.Add($"tcId {test.Id()}: valid case did not decrypt to the message");
            }
            else if (ok)
            {
                failures.Add($"tcId {test.Id()}: invalid case decrypted");
            }
            else
            {
                invalidRejected++;
            }
        }

        Assert.Empty(failures);
        Assert.Equal(29, run);
        Assert.Equal(8, unsupported);
        Assert.Equal(19, invalidRejected);
    }
}
