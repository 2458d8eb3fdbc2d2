using System.Buffers;
using System.Text.Json;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Noise;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Vectors.Noise;

/// <summary>
/// The Noise vectors in <c>tests/vectors/noise</c> (cacophony, snow and the re-derived subset), run through our
/// HandshakeState: every handshake message byte for byte, the handshake hash when given, and the
/// transport messages after Split.
/// </summary>
public sealed class NoiseVectorTests
{
    private const string XX = "Noise_XX_25519_ChaChaPoly_SHA256";

    [Theory]
    [InlineData("cacophony.json", 1)]
    [InlineData("snow.json", 1)]
    [InlineData("noise_25519_nn_xx_ik_subset.json", 2)]
    public void XXChaChaPolySha256_EveryVector_MatchesByteForByte(string file, int expectedCount)
    {
        var ran = RunAll(file, name => name == XX);
        Assert.Equal(expectedCount, ran);
    }

    /// <summary>NN and IK run through the same engine (IK exercises pre-messages); extra coverage, not the product.</summary>
    [Theory]
    [InlineData("cacophony.json", 2)]
    [InlineData("snow.json", 2)]
    [InlineData("noise_25519_nn_xx_ik_subset.json", 4)]
    public void NNAndIKChaChaPolySha256_EveryVector_MatchesByteForByte(string file, int expectedCount)
    {
        var ran = RunAll(file, name => name is "Noise_NN_25519_ChaChaPoly_SHA256" or "Noise_IK_25519_ChaChaPoly_SHA256");
        Assert.Equal(expectedCount, ran);
    }

    /// <summary>The AESGCM variant (big-endian nonce) through the same engine; internal, vectors only.</summary>
    [Theory]
    [InlineData("cacophony.json", 1)]
    [InlineData("snow.json", 1)]
    [InlineData("noise_25519_nn_xx_ik_subset.json", 2)]
    public void XXAesGcmSha256_EveryVector_MatchesByteForByte(string file, int expectedCount)
    {
        var ran = RunAll(file, name => name == "Noise_XX_25519_AESGCM_SHA256");
        Assert.Equal(expectedCount, ran);
    }

    private static int RunAll(string file, Func<string, bool> select)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Vector("noise", file)));
        var ran = 0;
        foreach (var vector in document.RootElement.GetProperty("vectors").EnumerateArray())
        {
            var name = vector.GetProperty("protocol_name").GetString()!;
            if (!select(name))
                continue;
            Run(name, vector);
            ran++;
        }
        return ran;
    }

    private static void Run(string name, JsonElement vector)
    {
        var patternName = name.Split('_')[1];
        var pattern = patternName switch
        {
            "XX" => NoisePattern.XX,
            "NN" => VectorPatterns.NN,
            "IK" => VectorPatterns.IK,
            _ => throw new InvalidOperationException(patternName),
        };

        var cipherName = name.Split('_')[3];
        NoiseCipherFactory factory = cipherName switch
        {
            "ChaChaPoly" => key => new ChaChaPolyCipherState(key),
            "AESGCM" => key => new AesGcmCipherState(key), // the rsa mode's cipher state: Noise AESGCM has the same nonce layout
            _ => throw new InvalidOperationException(cipherName),
        };

        using var initiator = new NoiseHandshakeState(
            pattern, initiator: true, Hex(vector, "init_prologue"),
            Hex(vector, "init_static"), Hex(vector, "init_remote_static"), Hex(vector, "init_ephemeral"), cipherName, factory);
        using var responder = new NoiseHandshakeState(
            pattern, initiator: false, Hex(vector, "resp_prologue"),
            Hex(vector, "resp_static"), Hex(vector, "resp_remote_static"), Hex(vector, "resp_ephemeral"), cipherName, factory);

        var messages = vector.GetProperty("messages").EnumerateArray().ToArray();
        var handshakeCount = pattern.Messages.Count;
        Assert.True(messages.Length > handshakeCount, $"{name}: the vector has no transport messages.");

        for (var i = 0; i < handshakeCount; i++)
        {
            var (sender, receiver) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            var payload = Hex(messages[i], "payload");
            var expected = Hex(messages[i], "ciphertext");
            var written = new ArrayBufferWriter<byte>();
            sender.WriteMessage(payload, written);
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(written.WrittenSpan));
            var read = new ArrayBufferWriter<byte>();
            receiver.ReadMessage(expected, read);
            Assert.Equal(payload, read.WrittenSpan.ToArray());
        }

        Assert.True(initiator.IsComplete && responder.IsComplete);
        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
        if (vector.TryGetProperty("handshake_hash", out var hash))
            Assert.Equal(hash.GetString(), Convert.ToHexStringLower(initiator.HandshakeHash));

        var (initSend, initReceive) = initiator.Split();
        var (respReceive, respSend) = responder.Split();
        using (initSend)
        using (initReceive)
        using (respReceive)
        using (respSend)
        {
            for (var i = handshakeCount; i < messages.Length; i++)
            {
                // The vectors keep alternating after the handshake: even indexes are the initiator's.
                var (seal, open) = i % 2 == 0 ? (initSend, respReceive) : (respSend, initReceive);
                var payload = Hex(messages[i], "payload");
                var expected = Hex(messages[i], "ciphertext");
                var sealedBytes = new byte[payload.Length + seal.TagSize];
                seal.Seal([], payload, sealedBytes);
                Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(sealedBytes));
                var opened = new byte[payload.Length];
                Assert.True(open.TryOpen([], expected, opened));
                Assert.Equal(payload, opened);
            }
        }
    }

    private static byte[] Hex(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? Convert.FromHexString(value.GetString()!) : [];
}
