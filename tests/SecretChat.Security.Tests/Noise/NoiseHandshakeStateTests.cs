using System.Buffers;
using SecretChat.Security.Noise;
using SecretChat.Security.Tests.Channels;

namespace SecretChat.Security.Tests.Noise;

/// <summary>The handshake state keeps private keys only while it needs them.</summary>
public sealed class NoiseHandshakeStateTests : TwoPeersTest
{
    private static readonly byte[] Prologue = "prologue"u8.ToArray();

    [Fact]
    public void Split_CompletedHandshake_WipesStaticCopyAndEphemeralKeyOnBothSides()
    {
        using var initiator = new NoiseHandshakeState(NoisePattern.XX, initiator: true, Prologue, AliceKey.PrivateKey);
        using var responder = new NoiseHandshakeState(NoisePattern.XX, initiator: false, Prologue, BobKey.PrivateKey);
        Exchange(initiator, responder);
        Exchange(responder, initiator);
        Exchange(initiator, responder);
        foreach (var side in new[] { initiator, responder })
        {
            var (staticKey, ephemeralKey) = side.PrivateKeyStorage;
            Assert.NotEqual(-1, staticKey.Span.IndexOfAnyExcept((byte)0));
            Assert.NotEqual(-1, ephemeralKey.Span.IndexOfAnyExcept((byte)0));
        }

        var (i1, i2) = initiator.Split();
        var (r1, r2) = responder.Split();
        using (i1) using (i2) using (r1) using (r2)
        {
            foreach (var side in new[] { initiator, responder })
            {
                var (staticKey, ephemeralKey) = side.PrivateKeyStorage;
                Assert.All(staticKey.ToArray(), b => Assert.Equal(0, b));
                Assert.All(ephemeralKey.ToArray(), b => Assert.Equal(0, b));
            }
            // The identity itself belongs to its owner: the handshake wiped only its own copy.
            Assert.NotEqual(-1, AliceKey.PrivateKey.IndexOfAnyExcept((byte)0));
        }
    }

    [Fact]
    public void ReadMessage_TamperedMessage_FailsAndWipesThePrivateKeys()
    {
        using var initiator = new NoiseHandshakeState(NoisePattern.XX, initiator: true, Prologue, AliceKey.PrivateKey);
        using var responder = new NoiseHandshakeState(NoisePattern.XX, initiator: false, Prologue, BobKey.PrivateKey);
        Exchange(initiator, responder);
        var reply = new ArrayBufferWriter<byte>();
        responder.WriteMessage([], reply);
        var tampered = reply.WrittenSpan.ToArray();
        tampered[^1] ^= 1;

        Assert.Throws<HandshakeException>(() => initiator.ReadMessage(tampered, new ArrayBufferWriter<byte>()));

        var (staticKey, ephemeralKey) = initiator.PrivateKeyStorage;
        Assert.All(staticKey.ToArray(), b => Assert.Equal(0, b));
        Assert.All(ephemeralKey.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Dispose_MidHandshake_WipesThePrivateKeys()
    {
        var initiator = new NoiseHandshakeState(NoisePattern.XX, initiator: true, Prologue, AliceKey.PrivateKey);
        initiator.WriteMessage([], new ArrayBufferWriter<byte>());
        var (staticKey, ephemeralKey) = initiator.PrivateKeyStorage;

        initiator.Dispose();

        Assert.All(staticKey.ToArray(), b => Assert.Equal(0, b));
        Assert.All(ephemeralKey.ToArray(), b => Assert.Equal(0, b));
    }

    private static void Exchange(NoiseHandshakeState sender, NoiseHandshakeState receiver)
    {
        var message = new ArrayBufferWriter<byte>();
        sender.WriteMessage([], message);
        receiver.ReadMessage(message.WrittenSpan, new ArrayBufferWriter<byte>());
    }
}
