using System.Buffers;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using static SecretChat.Security.Tests.Noise.HandshakeMessages;

namespace SecretChat.Security.Tests.Noise;

/// <summary>
/// The noise cipher: Noise_XX_25519_AESGCM_SHA256 where both sides accelerate AES (the initiator offers it in message
/// 1, the responder follows), ChaChaPoly otherwise, and nobody in between can choose for them.
/// </summary>
public sealed class NoiseCipherChoiceTests : IDisposable
{
    private static readonly byte[] Prologue = "secretchat cipher choice"u8.ToArray();

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Theory]
    [InlineData(false, "Noise_XX_25519_AESGCM_SHA256", 42)]
    [InlineData(true, "Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256", 1226)]
    public void Handshake_BothSidesAccelerateAes_RunTheAesGcmSuite(bool postQuantum, string protocolName, int firstMessageLength)
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum, aesGcm: true);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: true);

        var messages = Run(initiator, responder);

        Assert.Equal(firstMessageLength, messages[0].Length); // the offer: field 4, "AESGCM", 10 bytes in the clear
        Assert.Equal(protocolName, initiator.ProtocolName);
        Assert.Equal(protocolName, responder.ProtocolName);
        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.IsType<AesGcmCipherState>(a.Sender);
        Assert.IsType<AesGcmCipherState>(b.Sender);
        Assert.Equal(a.HandshakeHash.ToArray(), b.HandshakeHash.ToArray());
        Assert.Equal(postQuantum, a.IsPostQuantum);
        Assert.Equal(_bob.PublicKey.ToArray(), a.RemoteStaticKey.ToArray());
        Assert.Equal(_alice.PublicKey.ToArray(), b.RemoteStaticKey.ToArray());
        AssertTransport(a.Sender, b.Receiver);
        AssertTransport(b.Sender, a.Receiver);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Handshake_ResponderWithoutAes_InitiatorFallsBackToChaChaPoly(bool postQuantum)
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum, aesGcm: true);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: false);

        Run(initiator, responder);

        var name = NoiseHandshakeState.ProtocolNameOf(postQuantum ? NoisePattern.XXhfs : NoisePattern.XX);
        Assert.Equal(name, initiator.ProtocolName);
        Assert.Equal(name, responder.ProtocolName);
        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.IsType<ChaChaPolyCipherState>(a.Sender);
        Assert.IsType<ChaChaPolyCipherState>(b.Sender);
        Assert.Equal(a.HandshakeHash.ToArray(), b.HandshakeHash.ToArray());
        AssertTransport(a.Sender, b.Receiver);
        AssertTransport(b.Sender, a.Receiver);
    }

    [Fact]
    public void Handshake_InitiatorWithoutAes_ResponderRunsChaChaPolyWithTheClassicSizes()
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum: false, aesGcm: false);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: true);

        var messages = Run(initiator, responder);

        Assert.Equal([32, 96, 64], messages.Select(m => m.Length));
        Assert.Equal(NoiseSecurity.ProtocolName, responder.ProtocolName);
        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.IsType<ChaChaPolyCipherState>(b.Sender);
        AssertTransport(a.Sender, b.Receiver);
    }

    [Fact]
    public void Handshake_OfferStrippedOnTheWay_FailsAtMessageTwo()
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum: false, aesGcm: true);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: true);
        var m1 = Write(initiator);

        // The responder then runs ChaChaPoly, over a message 1 the initiator did not write: both its tries must fail.
        responder.ReadMessage(m1.AsSpan(0, 32));
        Assert.Equal(NoiseSecurity.ProtocolName, responder.ProtocolName);
        var m2 = Write(responder);
        var e = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2));
        Assert.Contains("failed authentication", e.Message);
    }

    [Fact]
    public void Handshake_OfferAddedOnTheWay_FailsAtMessageTwo()
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum: false, aesGcm: false);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: true);
        var m1 = Write(initiator);

        responder.ReadMessage([.. m1, NoiseXXHandshake.CipherOfferField, 0, 7, 6, .. "AESGCM"u8]);
        Assert.Equal("Noise_XX_25519_AESGCM_SHA256", responder.ProtocolName);
        var m2 = Write(responder);
        var e = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2));
        Assert.Contains("failed authentication", e.Message);
    }

    [Fact]
    public void Handshake_TamperedMessageTwo_FailsUnderBothCiphers()
    {
        using var initiator = Handshake(_alice, HandshakeRole.Initiator, postQuantum: false, aesGcm: true);
        using var responder = Handshake(_bob, HandshakeRole.Responder, postQuantum: false, aesGcm: true);
        responder.ReadMessage(Write(initiator));
        var m2 = Write(responder);
        m2[^1] ^= 1;

        Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2));
        Assert.Throws<InvalidOperationException>(() => initiator.ReadMessage(m2));
    }

    [Fact]
    public void Handshake_BothOfferingInitiators_FailClearly()
    {
        using var a = Handshake(_alice, HandshakeRole.Initiator, postQuantum: false, aesGcm: true);
        using var b = Handshake(_bob, HandshakeRole.Initiator, postQuantum: false, aesGcm: true);
        var fromB = Write(b);
        Write(a);

        var e = Assert.Throws<HandshakeException>(() => a.ReadMessage(fromB));
        Assert.Equal("The peer also started the handshake as initiator; exactly one side must initiate.", e.Message);
    }

    [Fact]
    public void NoiseSecurity_Default_OffersAesGcmExactlyWhereLibsodiumAcceleratesIt()
    {
        using var keys = StaticKeyPair.Generate();
        Assert.Equal(SodiumAes256Gcm.IsAvailable, new NoiseSecurity(keys).AesGcm);
        Assert.False(new NoiseSecurity(keys, () => new byte[32]).AesGcm); // the vectors' seam: ChaChaPoly everywhere
    }

    [Theory]
    [InlineData(new byte[] { 4, 0, 7, 6, 65, 69, 83, 71, 67, 77 }, true)]
    [InlineData(new byte[] { 2, 0, 1, 120, 4, 0, 14, 6, 104, 121, 98, 114, 105, 100, 6, 65, 69, 83, 71, 67, 77 }, true)] // a name, then "hybrid" and AESGCM
    [InlineData(new byte[] { }, false)]
    [InlineData(new byte[] { 3, 0, 7, 6, 65, 69, 83, 71, 67, 77 }, false)] // a capability, not an offer
    [InlineData(new byte[] { 4, 0, 8, 6, 65, 69, 83, 71, 67, 77 }, false)] // field longer than the payload
    [InlineData(new byte[] { 4, 0, 7, 9, 65, 69, 83, 71, 67, 77 }, false)] // entry longer than its field
    [InlineData(new byte[] { 4, 0, 6, 5, 65, 69, 83, 71, 67 }, false)] // "AESGC"
    [InlineData(new byte[] { 4, 0 }, false)]
    public void OffersAesGcm_Payload_FindsOnlyAWellFormedAesGcmEntry(byte[] payload, bool offered) =>
        Assert.Equal(offered, NoiseXXHandshake.OffersAesGcm(payload));

    private static NoiseXXHandshake Handshake(StaticKeyPair keys, HandshakeRole role, bool postQuantum, bool aesGcm) =>
        (NoiseXXHandshake)new NoiseSecurity(keys, postQuantum) { AesGcm = aesGcm }.CreateHandshake(role, Prologue);

    private static List<byte[]> Run(IHandshake initiator, IHandshake responder)
    {
        var messages = new List<byte[]>();
        while (initiator.Status != HandshakeStatus.Complete || responder.Status != HandshakeStatus.Complete)
        {
            var (writer, reader) = initiator.Status == HandshakeStatus.MustWrite ? (initiator, responder) : (responder, initiator);
            var message = Write(writer);
            messages.Add(message);
            reader.ReadMessage(message);
        }
        return messages;
    }
}
