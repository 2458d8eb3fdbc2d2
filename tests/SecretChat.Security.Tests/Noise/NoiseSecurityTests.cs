using System.Buffers;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using static SecretChat.Security.Tests.Noise.HandshakeMessages;

namespace SecretChat.Security.Tests.Noise;

public sealed class NoiseSecurityTests : IDisposable
{
    private static readonly byte[] Prologue = "secretchat/1 noise"u8.ToArray();

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();
    private readonly StaticKeyPair _mallory = StaticKeyPair.Generate();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _mallory.Dispose();
    }

    [Fact]
    public void Handshake_BothSides_AgreeOnKeysHashAndIdentities()
    {
        // ChaChaPoly's sizes: an initiator that accelerates AES adds its 10-byte offer (NoiseCipherChoiceTests).
        using var initiator = new NoiseSecurity(_alice) { AesGcm = false }.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var initiatorStatuses = new List<HandshakeStatus> { initiator.Status };
        var responderStatuses = new List<HandshakeStatus> { responder.Status };

        var m1 = Write(initiator);
        responder.ReadMessage(m1);
        initiatorStatuses.Add(initiator.Status);
        responderStatuses.Add(responder.Status);
        var m2 = Write(responder);
        initiator.ReadMessage(m2);
        initiatorStatuses.Add(initiator.Status);
        responderStatuses.Add(responder.Status);
        var m3 = Write(initiator);
        responder.ReadMessage(m3);
        initiatorStatuses.Add(initiator.Status);
        responderStatuses.Add(responder.Status);

        Assert.Equal([32, 96, 64], new[] { m1.Length, m2.Length, m3.Length });
        Assert.Equal([HandshakeStatus.MustWrite, HandshakeStatus.MustRead, HandshakeStatus.MustWrite, HandshakeStatus.Complete], initiatorStatuses);
        Assert.Equal([HandshakeStatus.MustRead, HandshakeStatus.MustWrite, HandshakeStatus.MustRead, HandshakeStatus.Complete], responderStatuses);

        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.Equal(BuiltInModules.Noise, a.Module);
        Assert.True(a.IsConfidential);
        Assert.Equal(a.HandshakeHash.ToArray(), b.HandshakeHash.ToArray());
        Assert.Equal(32, a.HandshakeHash.Length);
        Assert.Equal(_alice.PublicKey.ToArray(), a.LocalStaticKey.ToArray());
        Assert.Equal(_bob.PublicKey.ToArray(), a.RemoteStaticKey.ToArray());
        Assert.Equal(_bob.PublicKey.ToArray(), b.LocalStaticKey.ToArray());
        Assert.Equal(_alice.PublicKey.ToArray(), b.RemoteStaticKey.ToArray());

        AssertTransport(a.Sender, b.Receiver);
        AssertTransport(b.Sender, a.Receiver);
        Assert.Equal(
            SafetyNumber.ForSession(a.LocalStaticKey.Span, a.RemoteStaticKey.Span),
            SafetyNumber.ForSession(b.LocalStaticKey.Span, b.RemoteStaticKey.Span));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WarmUp_ClassicOrHybrid_RunsAWholeHandshakeAndOneMessageInMemory(bool postQuantum)
    {
        // It throws if either side's handshake or the keys it splits into disagree.
        var error = Record.Exception(() => NoiseSecurity.WarmUp(postQuantum));

        Assert.Null(error);
    }

    [Fact]
    public void Split_Twice_Throws()
    {
        var (initiator, responder) = Run(_alice, _bob, Prologue, Prologue);
        using (initiator)
        using (responder)
        {
            using var session = initiator.Split();
            Assert.Throws<InvalidOperationException>(() => initiator.Split());
        }
    }

    [Fact]
    public void Calls_OutOfTurn_ThrowInvalidOperation()
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        Assert.Throws<InvalidOperationException>(() => initiator.ReadMessage(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => responder.WriteMessage(new ArrayBufferWriter<byte>()));
        Assert.Throws<InvalidOperationException>(() => responder.Split());
        // Out-of-turn calls are the caller's bug, not the peer's: the handshake stays usable.
        responder.ReadMessage(Write(initiator));
        Assert.Equal(HandshakeStatus.MustWrite, responder.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Handshake_FlippedBitInAnyMessage_Fails(int tamperedMessage)
    {
        for (var bit = 0; bit < 8; bit += 7)
        {
            using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
            using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
            var e = Assert.Throws<HandshakeException>(() => Drive(initiator, responder, (index, message) =>
            {
                if (index == tamperedMessage)
                    message[^1] ^= (byte)(1 << bit);
            }));
            Assert.Contains("failed authentication", e.Message);
        }
    }

    [Fact]
    public void ReadMessage_AfterFailure_HandshakeIsDead()
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        responder.ReadMessage(Write(initiator));
        var m2 = Write(responder);
        var tampered = m2.ToArray();
        tampered[40] ^= 1;
        Assert.Throws<HandshakeException>(() => initiator.ReadMessage(tampered));
        var dead = Assert.Throws<InvalidOperationException>(() => initiator.ReadMessage(m2));
        Assert.Contains("cannot be used again", dead.Message);
    }

    [Fact]
    public void ReadMessage_Truncated_FailsClearly()
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        responder.ReadMessage(Write(initiator));
        var m2 = Write(responder);
        var e = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2.AsSpan(0, m2.Length - 1)));
        Assert.Equal("The peer's handshake message is truncated: 95 bytes where at least 96 were expected.", e.Message);
    }

    [Fact]
    public void ReadMessage_FirstMessageTruncatedOrEmpty_FailsClearly()
    {
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var e = Assert.Throws<HandshakeException>(() => responder.ReadMessage([]));
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(65536)]
    [InlineData(100_000)]
    public void ReadMessage_Oversized_FailsClearly(int length)
    {
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var e = Assert.Throws<HandshakeException>(() => responder.ReadMessage(new byte[length]));
        Assert.Equal($"The peer's handshake message is {length} bytes, more than the 65535 bytes a Noise message may hold.", e.Message);
    }

    [Fact]
    public void ReadMessage_LongerThanExpected_Fails()
    {
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        // Protocol 2 allows a payload of at most HandshakePayload.MaxSize bytes after the ephemeral key, not one more.
        var e = Assert.Throws<HandshakeException>(() => responder.ReadMessage(new byte[32 + HandshakePayload.MaxSize + 1]));
        Assert.Contains($"{32 + HandshakePayload.MaxSize + 1} bytes where at most {32 + HandshakePayload.MaxSize} were expected", e.Message);
    }

    [Fact]
    public void ReplayedFirstMessage_IntoResponderThatAlreadyHasOne_IsRejected()
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var m1 = Write(initiator);
        responder.ReadMessage(m1);
        // Straight after: it is the responder's turn to write, so a second first message is out of turn.
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessage(m1));
        // After its reply: the replay arrives where the third message is due, and is refused.
        initiator.ReadMessage(Write(responder));
        var e = Assert.Throws<HandshakeException>(() => responder.ReadMessage(m1));
        Assert.Contains("truncated", e.Message);
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessage(Write(initiator)));
    }

    [Fact]
    public void Handshake_BothSidesAsInitiator_FailClearly()
    {
        using var a = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var b = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Initiator, Prologue);
        var fromA = Write(a);
        var fromB = Write(b);
        var e = Assert.Throws<HandshakeException>(() => a.ReadMessage(fromB));
        Assert.Equal("The peer also started the handshake as initiator; exactly one side must initiate.", e.Message);
        Assert.Throws<HandshakeException>(() => b.ReadMessage(fromA));
    }

    [Fact]
    public void Handshake_BothSidesAsResponder_NeitherCanWrite()
    {
        using var a = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Responder, Prologue);
        Assert.Equal(HandshakeStatus.MustRead, a.Status);
        Assert.Throws<InvalidOperationException>(() => a.WriteMessage(new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void ZeroEphemeralKey_InFirstMessage_IsRefusedByResponder()
    {
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        responder.ReadMessage(new byte[32]);
        var e = Assert.Throws<HandshakeException>(() => responder.WriteMessage(new ArrayBufferWriter<byte>()));
        Assert.Contains("low-order", e.Message);
        Assert.Throws<InvalidOperationException>(() => responder.WriteMessage(new ArrayBufferWriter<byte>()));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    public void LowOrderEphemeralKey_InSecondMessage_IsRefusedByInitiator(string lowOrderPoint)
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue);
        Write(initiator);
        var forged = new byte[96];
        Convert.FromHexString(lowOrderPoint).CopyTo(forged, 0);
        var e = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(forged));
        Assert.Equal(
            "The peer sent a public key that would give a publicly known shared secret (a zero or low-order key), so the handshake was refused.",
            e.Message);
    }

    [Fact]
    public void Handshake_DifferentPrologues_Fails()
    {
        using var initiator = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, "secretchat/1 noise"u8);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, "secretchat/1 rsa"u8);
        var e = Assert.Throws<HandshakeException>(() => Drive(initiator, responder, (_, _) => { }));
        Assert.Equal("The peer's handshake message failed authentication.", e.Message);
    }

    [Fact]
    public void Handshake_ManInTheMiddle_VictimsSeeDifferentSafetyNumbersAndPinnedKeyChanged()
    {
        // Alice → Mallory (posing as Bob) and Mallory → Bob: two separate, individually valid handshakes.
        var (aliceSide, malloryToAlice) = Run(_alice, _mallory, Prologue, Prologue);
        var (malloryToBob, bobSide) = Run(_mallory, _bob, Prologue, Prologue);
        using (aliceSide)
        using (malloryToAlice)
        using (malloryToBob)
        using (bobSide)
        {
            using var alice = aliceSide.Split();
            using var bob = bobSide.Split();
            var aliceSees = SafetyNumber.ForSession(alice.LocalStaticKey.Span, alice.RemoteStaticKey.Span);
            var bobSees = SafetyNumber.ForSession(bob.LocalStaticKey.Span, bob.RemoteStaticKey.Span);
            Assert.NotEqual(aliceSees, bobSees);
            Assert.NotEqual(SafetyNumber.ForSession(_alice.PublicKey.Span, _bob.PublicKey.Span), aliceSees);

            var directory = Directory.CreateTempSubdirectory("secretchat-mitm-");
            try
            {
                var aliceKnows = KnownPeers.Load(Path.Combine(directory.FullName, "known_peers.json"));
                aliceKnows.Pin("bob", _bob.PublicKey.Span);
                var check = aliceKnows.Check("bob", alice.RemoteStaticKey.Span);
                Assert.Equal(PeerVerdict.Changed, check.Verdict);
                Assert.Equal(_bob.PublicKey.ToArray(), check.PinnedKey.ToArray());
            }
            finally
            {
                directory.Delete(recursive: true);
            }
        }
    }

    [Fact]
    public void Handshake_FixedEphemeralKeys_GiveTheSameTranscriptTwice()
    {
        var ephemeralA = Enumerable.Repeat((byte)7, 32).ToArray();
        var ephemeralB = Enumerable.Repeat((byte)9, 32).ToArray();
        byte[] RunOnce()
        {
            using var i = new NoiseSecurity(_alice).CreateHandshake(HandshakeRole.Initiator, Prologue, ephemeralA);
            using var r = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue, ephemeralB);
            Drive(i, r, (_, _) => { });
            using var session = i.Split();
            return session.HandshakeHash.ToArray();
        }
        Assert.Equal(RunOnce(), RunOnce());
    }

    [Fact]
    public void CreateHandshake_InvalidRole_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSecurity(_alice).CreateHandshake((HandshakeRole)0, Prologue));
        Assert.Equal("role", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => new NoiseSecurity(null!));
        Assert.Equal(BuiltInModules.Noise, new NoiseSecurity(_alice).Info);
    }

    private (IHandshake Initiator, IHandshake Responder) Run(StaticKeyPair initiatorKey, StaticKeyPair responderKey, byte[] initiatorPrologue, byte[] responderPrologue)
    {
        var initiator = new NoiseSecurity(initiatorKey).CreateHandshake(HandshakeRole.Initiator, initiatorPrologue);
        var responder = new NoiseSecurity(responderKey).CreateHandshake(HandshakeRole.Responder, responderPrologue);
        Drive(initiator, responder, (_, _) => { });
        return (initiator, responder);
    }

    /// <summary>Moves messages between the two sides until both are complete, letting the test tamper with each.</summary>
    private static void Drive(IHandshake initiator, IHandshake responder, Action<int, byte[]> tamper)
    {
        var index = 0;
        while (initiator.Status != HandshakeStatus.Complete || responder.Status != HandshakeStatus.Complete)
        {
            var (writer, reader) = initiator.Status == HandshakeStatus.MustWrite ? (initiator, responder) : (responder, initiator);
            var message = Write(writer);
            tamper(index++, message);
            reader.ReadMessage(message);
        }
    }
}
