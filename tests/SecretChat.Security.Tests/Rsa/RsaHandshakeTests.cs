using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security.Rsa;

namespace SecretChat.Security.Tests.Rsa;

public class RsaHandshakeTests
{
    private static readonly byte[] Prologue = "SecretChat/1 offers rsa,noise; chose rsa"u8.ToArray();

    private static (IHandshake Initiator, IHandshake Responder) Pair(byte[]? initiatorPrologue = null, byte[]? responderPrologue = null)
    {
        var security = new RsaSecurity();
        return (
            security.CreateHandshake(HandshakeRole.Initiator, initiatorPrologue ?? Prologue),
            security.CreateHandshake(HandshakeRole.Responder, responderPrologue ?? Prologue));
    }

    private static byte[] Flip(byte[] message, int position)
    {
        var copy = (byte[])message.Clone();
        copy[position] ^= 0x01;
        return copy;
    }

    private static void AssertExchange(SecureSession from, SecureSession to, string text)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(text);
        var sealedBytes = new byte[plaintext.Length + from.Sender.TagSize];
        from.Sender.Seal("ad"u8, plaintext, sealedBytes);
        Assert.False(sealedBytes.AsSpan(0, plaintext.Length).SequenceEqual(plaintext));
        var opened = new byte[plaintext.Length];
        Assert.True(to.Receiver.TryOpen("ad"u8, sealedBytes, opened));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void RsaHandshake_RoundTrip_BothSidesSealAndOpenEachOthersMessages()
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;
        var driver = new HandshakeDriver();

        driver.Run(initiator, responder);
        using var initiatorSession = initiator.Split();
        using var responderSession = responder.Split();

        Assert.Equal(
            [HandshakeStatus.MustRead, HandshakeStatus.MustWrite, HandshakeStatus.MustRead, HandshakeStatus.Complete],
            driver.InitiatorStatuses);
        Assert.Equal(
            [HandshakeStatus.MustWrite, HandshakeStatus.MustRead, HandshakeStatus.MustWrite, HandshakeStatus.Complete],
            driver.ResponderStatuses);
        // Protocol 2: each later message carries a sealed (here empty) payload, so 16 bytes of tag each.
        Assert.Equal([294, 304, 48], driver.Messages.Select(m => m.Length));
        Assert.Equal(BuiltInModules.Rsa, initiatorSession.Module);
        Assert.True(initiatorSession.IsConfidential);
        Assert.Equal(32, initiatorSession.HandshakeHash.Length);
        Assert.Equal(initiatorSession.HandshakeHash.ToArray(), responderSession.HandshakeHash.ToArray());
        for (var i = 0; i < 3; i++)
        {
            AssertExchange(initiatorSession, responderSession, $"hello bob {i}");
            AssertExchange(responderSession, initiatorSession, $"hello alice {i}");
        }
    }

    [Fact]
    public void RsaHandshake_TwoRuns_UseDifferentPublicKeysAndHashes()
    {
        var first = new HandshakeDriver();
        var second = new HandshakeDriver();
        var (i1, r1) = Pair();
        var (i2, r2) = Pair();
        using (i1) using (r1) using (i2) using (r2)
        {
            first.Run(i1, r1);
            second.Run(i2, r2);
            using var s1 = i1.Split();
            using var s2 = i2.Split();
            Assert.NotEqual(first.Messages[0], second.Messages[0]);
            Assert.NotEqual(s1.HandshakeHash.ToArray(), s2.HandshakeHash.ToArray());
        }
    }

    [Theory]
    [InlineData(0)]   // DER structure
    [InlineData(40)]  // modulus
    [InlineData(200)] // modulus
    [InlineData(293)] // exponent
    public void RsaHandshake_TamperedPublicKey_Fails(int position)
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;

        Assert.Throws<HandshakeException>(
            () => new HandshakeDriver().Run(initiator, responder, (i, m) => i == 0 ? Flip(m, position) : m));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    [InlineData(255)]
    public void RsaHandshake_TamperedEncryptedKey_FailsAtResponder(int position)
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;

        var thrown = Assert.Throws<HandshakeException>(
            () => new HandshakeDriver().Run(initiator, responder, (i, m) => i == 1 ? Flip(m, position) : m));

        Assert.Contains("does not decrypt", thrown.Message);
        Assert.Throws<InvalidOperationException>(() => HandshakeDriver.Write(responder));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(287)]
    public void RsaHandshake_TamperedInitiatorMac_FailsAtResponder(int position)
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;

        var thrown = Assert.Throws<HandshakeException>(
            () => new HandshakeDriver().Run(initiator, responder, (i, m) => i == 1 ? Flip(m, position) : m));

        Assert.Equal(RsaHandshake.TamperedMessage, thrown.Message);
        Assert.Equal(HandshakeStatus.MustRead, responder.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void RsaHandshake_TamperedResponderMac_FailsAtInitiator(int position)
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;

        var thrown = Assert.Throws<HandshakeException>(
            () => new HandshakeDriver().Run(initiator, responder, (i, m) => i == 2 ? Flip(m, position) : m));

        Assert.Equal(RsaHandshake.TamperedMessage, thrown.Message);
        Assert.Throws<InvalidOperationException>(() => initiator.Split());
    }

    [Fact]
    public void RsaHandshake_DifferentPrologues_FailOnBothSides()
    {
        var initiatorPrologue = "SecretChat/1 offers rsa,noise; chose rsa"u8.ToArray();
        var responderPrologue = "SecretChat/1 offers rsa; chose rsa"u8.ToArray(); // a stripped offer: a downgrade
        using var responderKey = RsaKeyPool.Generate();
        var attackerCopy = responderKey.ExportPkcs8PrivateKey();
        using var initiator = RsaHandshake.CreateInitiator(initiatorPrologue);
        using var responder = RsaHandshake.CreateResponder(responderPrologue, responderKey);

        var publicKey = HandshakeDriver.Write(responder);
        initiator.ReadMessage(publicKey);
        var sessionKeyMessage = HandshakeDriver.Write(initiator);
        var atResponder = Assert.Throws<HandshakeException>(() => responder.ReadMessage(sessionKeyMessage));

        // The initiator hears a confirmation from a responder that saw the other prologue (e.g. one that does
        // not check the initiator's MAC): it must refuse it too.
        using var key = RSA.Create();
        key.ImportPkcs8PrivateKey(attackerCopy, out _);
        var sessionKey = new byte[256];
        Assert.True(RsaOaep.TryDecrypt(key, sessionKeyMessage.AsSpan(0, 256), sessionKey, out var written));
        using var responderView = RsaKeySchedule.Derive(responderPrologue, publicKey, sessionKeyMessage.AsSpan(0, 256), sessionKey.AsSpan(0, written));
        var confirmation = new byte[48];
        responderView.ResponderMac(confirmation.AsSpan(0, 32));
        responderView.SealPayload(initiator: false, [], confirmation.AsSpan(32));
        var atInitiator = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(confirmation));

        Assert.Equal(RsaHandshake.TamperedMessage, atResponder.Message);
        Assert.Equal(RsaHandshake.TamperedMessage, atInitiator.Message);
    }

    [Fact]
    public void RsaHandshake_SamePrologueThroughKeySchedule_ConfirmationMatches()
    {
        // The counterpart of the test above: the test's own key schedule agrees with the handshake when nothing differs.
        using var responderKey = RsaKeyPool.Generate();
        var copy = responderKey.ExportPkcs8PrivateKey();
        using var initiator = RsaHandshake.CreateInitiator(Prologue);
        using var responder = RsaHandshake.CreateResponder(Prologue, responderKey);
        var driver = new HandshakeDriver();
        driver.Run(initiator, responder);

        using var key = RSA.Create();
        key.ImportPkcs8PrivateKey(copy, out _);
        var sessionKey = new byte[256];
        Assert.True(RsaOaep.TryDecrypt(key, driver.Messages[1].AsSpan(0, 256), sessionKey, out var written));
        using var schedule = RsaKeySchedule.Derive(Prologue, driver.Messages[0], driver.Messages[1].AsSpan(0, 256), sessionKey.AsSpan(0, written));
        var confirmation = new byte[48];
        schedule.ResponderMac(confirmation.AsSpan(0, 32));
        schedule.SealPayload(initiator: false, [], confirmation.AsSpan(32));

        Assert.Equal(16, written);
        Assert.Equal(driver.Messages[2], confirmation);
    }

    [Theory]
    [InlineData(0, 0, "malformed")]
    [InlineData(0, 100, "malformed")]
    [InlineData(0, 293, "malformed")]
    [InlineData(0, 294 + HandshakePayload.MaxSize + 1, "more than a handshake payload after the key")]
    [InlineData(0, 4096, "longer than an RSA-2048 public key")]
    [InlineData(1, 0, "0 bytes long instead of 304 to 1072")]
    [InlineData(1, 256, "256 bytes long instead of 304 to 1072")]
    [InlineData(1, 303, "303 bytes long instead of 304 to 1072")]
    [InlineData(1, 1073, "1073 bytes long instead of 304 to 1072")]
    [InlineData(2, 47, "47 bytes long instead of 48 to 816")]
    [InlineData(2, 817, "817 bytes long instead of 48 to 816")]
    public void RsaHandshake_TruncatedOrOversizedMessage_FailsWithClearReasonAndStaysDead(int index, int length, string reason)
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;
        var reader = index == 1 ? responder : initiator;

        var thrown = Assert.Throws<HandshakeException>(() => new HandshakeDriver().Run(
            initiator,
            responder,
            (i, m) => i != index ? m : m.Length >= length ? m[..length] : [.. m, .. new byte[length - m.Length]]));

        Assert.Contains(reason, thrown.Message);
        Assert.Throws<InvalidOperationException>(() => reader.ReadMessage(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => reader.WriteMessage(new ArrayBufferWriter<byte>()));
        Assert.Throws<InvalidOperationException>(() => reader.Split());
    }

    [Fact]
    public void RsaHandshake_PeerKeyOf1024Bits_IsRefused()
    {
        using var small = RSA.Create(1024);
        using var initiator = RsaHandshake.CreateInitiator(Prologue);

        var thrown = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(small.ExportSubjectPublicKeyInfo()));

        Assert.Equal("The peer's RSA key has 1024 bits, but rsa mode requires exactly 2048.", thrown.Message);
    }

    [Fact]
    public void RsaHandshake_PeerKeyWithExponent3_IsRefused()
    {
        using var genuine = RsaKeyPool.Generate();
        using var weak = RSA.Create();
        weak.ImportParameters(new RSAParameters { Modulus = genuine.ExportParameters(false).Modulus, Exponent = [3] });
        using var initiator = RsaHandshake.CreateInitiator(Prologue);

        var thrown = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(weak.ExportSubjectPublicKeyInfo()));

        Assert.Contains("exponent 65537", thrown.Message);
    }

    [Fact]
    public void RsaHandshake_OutOfTurnCalls_ThrowInvalidOperationAndKeepTheHandshakeUsable()
    {
        var (initiator, responder) = Pair();
        using var _ = initiator;
        using var __ = responder;

        Assert.Throws<InvalidOperationException>(() => HandshakeDriver.Write(initiator));
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessage(new byte[294]));
        Assert.Throws<InvalidOperationException>(() => initiator.Split());
        Assert.Throws<InvalidOperationException>(() => responder.Split());

        new HandshakeDriver().Run(initiator, responder);

        Assert.Throws<InvalidOperationException>(() => HandshakeDriver.Write(initiator));
        Assert.Throws<InvalidOperationException>(() => initiator.ReadMessage(new byte[32]));
        using var session = initiator.Split();
        Assert.Throws<InvalidOperationException>(() => initiator.Split());
    }

    [Fact]
    public void RsaHandshake_Dispose_DisposesTheResponderKeyPair()
    {
        var key = RsaKeyPool.Generate();
        var responder = RsaHandshake.CreateResponder(Prologue, key);

        responder.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.ExportSubjectPublicKeyInfo());
        Assert.Throws<ObjectDisposedException>(() => HandshakeDriver.Write(responder));
    }

    [Fact]
    public void RsaSecurity_CreateHandshake_GivesEachRoleItsSide()
    {
        using var pool = new RsaKeyPool();
        var security = new RsaSecurity(pool);

        using var initiator = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = security.CreateHandshake(HandshakeRole.Responder, Prologue);

        Assert.Equal(BuiltInModules.Rsa, security.Info);
        Assert.Same(pool, security.KeyPool);
        Assert.Equal(HandshakeRole.Initiator, initiator.Role);
        Assert.Equal(HandshakeRole.Responder, responder.Role);
        Assert.Throws<ArgumentOutOfRangeException>(() => security.CreateHandshake((HandshakeRole)7, Prologue));
        Assert.Throws<ArgumentNullException>(() => new RsaSecurity(null!));
    }
}
