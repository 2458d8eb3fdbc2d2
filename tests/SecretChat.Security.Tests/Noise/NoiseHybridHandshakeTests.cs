using System.Reactive.Linq;
using SecretChat.Security.Identity;
using SecretChat.Security.Kem;
using SecretChat.Security.Noise;
using SecretChat.Security.Tests.Channels;
using static SecretChat.Security.Tests.Noise.HandshakeMessages;

namespace SecretChat.Security.Tests.Noise;

/// <summary>
/// The post-quantum hybrid, Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256: who chooses it, its sizes, what a man in the
/// middle who strips it meets, and the wipe of its KEM key.
/// </summary>
public sealed class NoiseHybridHandshakeTests : IDisposable
{
    private static readonly byte[] Prologue = "secretchat hybrid test"u8.ToArray();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public void Handshake_PostQuantumInitiator_BothSessionsHybridWithItsSizes()
    {
        // ChaChaPoly's sizes: an initiator that accelerates AES adds its 10-byte offer (NoiseCipherChoiceTests).
        using var initiator = new NoiseSecurity(_alice, postQuantum: true) { AesGcm = false }.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);

        var (m1, m2, m3) = Exchange(initiator, responder);

        // e (32) ‖ e1 (1184); e (32) ‖ ENC(ekem1) (1088 + 16) ‖ ENC(s) (48) ‖ tag (16); ENC(s) (48) ‖ tag (16).
        Assert.Equal([1216, 1200, 64], new[] { m1.Length, m2.Length, m3.Length });
        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.True(a.IsPostQuantum);
        Assert.True(b.IsPostQuantum);
        Assert.Equal(a.HandshakeHash.ToArray(), b.HandshakeHash.ToArray());
        Assert.Equal(_bob.PublicKey.ToArray(), a.RemoteStaticKey.ToArray());
        Assert.Equal(_alice.PublicKey.ToArray(), b.RemoteStaticKey.ToArray());
        AssertTransport(a.Sender, b.Receiver);
        AssertTransport(b.Sender, a.Receiver);
    }

    [Fact]
    public void Handshake_ClassicInitiator_PostQuantumResponderAnswersClassic()
    {
        using var initiator = new NoiseSecurity(_alice) { AesGcm = false }.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob, postQuantum: true).CreateHandshake(HandshakeRole.Responder, Prologue);

        var (m1, m2, m3) = Exchange(initiator, responder);

        Assert.Equal([32, 96, 64], new[] { m1.Length, m2.Length, m3.Length });
        using var a = initiator.Split();
        using var b = responder.Split();
        Assert.False(a.IsPostQuantum);
        Assert.False(b.IsPostQuantum);
        AssertTransport(a.Sender, b.Receiver);
    }

    [Fact]
    public void Handshake_MiddleStripsE1_InitiatorRefusesTheClassicAnswer()
    {
        using var initiator = new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob, postQuantum: true).CreateHandshake(HandshakeRole.Responder, Prologue);

        var m1 = Write(initiator);
        responder.ReadMessage(m1[..32]); // the middle forwards e alone: a classic first message
        var m2 = Write(responder);
        Assert.Equal(96, m2.Length);

        var error = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Handshake_MiddleStripsE1AndPadsTheAnswer_FailsAuthentication()
    {
        // A middle that also pads the classic answer to the hybrid's size gets no further: the initiator's
        // handshake hash names the hybrid and its e1, so the tags cannot verify.
        using var initiator = new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var m1 = Write(initiator);
        responder.ReadMessage(m1[..32]);
        var m2 = Write(responder);
        var padded = new byte[1200];
        m2.CopyTo(padded, 0);

        Assert.Throws<HandshakeException>(() => initiator.ReadMessage(padded));
    }

    [Fact]
    public void Handshake_KemCiphertextChanged_InitiatorRefusesIt()
    {
        using var initiator = new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        responder.ReadMessage(Write(initiator));
        var m2 = Write(responder);
        m2[32 + 500] ^= 0x01; // inside ENC(ekem1)

        var error = Assert.Throws<HandshakeException>(() => initiator.ReadMessage(m2));
        Assert.Equal("The peer's handshake message failed authentication.", error.Message);
    }

    [Fact]
    public void Handshake_E1NotReducedModuloQ_ResponderRefusesItOnReading()
    {
        using var initiator = new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        var m1 = Write(initiator);
        m1.AsSpan(32, 3).Fill(0xFF); // the first two 12-bit coefficients become 4095 > q

        var error = Assert.Throws<HandshakeException>(() => responder.ReadMessage(m1));
        Assert.Contains("ML-KEM key that is not valid", error.Message);
    }

    [Theory]
    [InlineData(1215)] // one byte short of e ‖ e1
    [InlineData(1216 + HandshakePayload.MaxSize + 1)]
    [InlineData(801)] // between the classic and the hybrid ranges
    public void ReadMessage_FirstMessageOfNeitherSize_Refused(int length)
    {
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        Assert.Throws<HandshakeException>(() => responder.ReadMessage(new byte[length]));
    }

    [Fact]
    public void Split_Hybrid_WipesTheKemSeed()
    {
        var initiator = (NoiseXXHandshake)new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = new NoiseSecurity(_bob).CreateHandshake(HandshakeRole.Responder, Prologue);
        responder.ReadMessage(Write(initiator));
        var seed = initiator.State.KemSeedStorage;
        Assert.Equal(MlKem768.SeedSize, seed.Length);
        Assert.True(seed.Span.IndexOfAnyExcept((byte)0) >= 0, "a live seed is not all zeros");
        Assert.True(initiator.State.HoldsKemKey);
        initiator.ReadMessage(Write(responder));
        Assert.False(initiator.State.HoldsKemKey);
        // Decapsulation was e1's one use: the seed is gone before message 3 is even written.
        Assert.True(seed.Span.IndexOfAnyExcept((byte)0) < 0);
        responder.ReadMessage(Write(initiator));
        using var session = initiator.Split();
        Assert.True(seed.Span.IndexOfAnyExcept((byte)0) < 0);
        initiator.Dispose();
    }

    [Fact]
    public void Dispose_BeforeMessage2_WipesTheKemSeed()
    {
        var initiator = (NoiseXXHandshake)new NoiseSecurity(_alice, postQuantum: true).CreateHandshake(HandshakeRole.Initiator, Prologue);
        Write(initiator);
        var seed = initiator.State.KemSeedStorage;
        Assert.True(initiator.State.HoldsKemKey);
        initiator.Dispose();
        Assert.True(seed.Span.IndexOfAnyExcept((byte)0) < 0);
        Assert.False(initiator.State.HoldsKemKey);
    }

    [Fact]
    public async Task Greeting_ClassicSessionWhosePeerListsTheHybrid_ResponderRefusesIt()
    {
        // What a stripped e1 would look like to the responder if the initiator could go on: a classic handshake whose
        // initiator says, inside its encrypted greeting, that it runs the hybrid.
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((_, frame) => [frame]);
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, new NoiseSecurity(_alice), HandshakeRole.Initiator, Timeout,
            greeting: new HandshakeGreeting("alice", ["text", NoiseSecurity.PostQuantumCapability]));
        await using var bob = new FramedSecureChannel(bobConnection, new NoiseSecurity(_bob, postQuantum: true), HandshakeRole.Responder, Timeout,
            greeting: new HandshakeGreeting("bob", ["text"]));
        using var a = alice.Messages.Subscribe(_ => { }, _ => { });
        using var b = bob.Messages.Subscribe(_ => { }, _ => { });

        var error = await Assert.ThrowsAsync<HandshakeException>(() => bob.Established.WaitAsync(Timeout));
        Assert.Contains("a man in the middle removed it", error.Message);
    }

    [Fact]
    public async Task Greeting_HybridSession_BothSidesListTheCapability()
    {
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((_, frame) => [frame]);
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, new NoiseSecurity(_alice, postQuantum: true), HandshakeRole.Initiator, Timeout,
            greeting: new HandshakeGreeting("alice", ["text"]));
        await using var bob = new FramedSecureChannel(bobConnection, new NoiseSecurity(_bob), HandshakeRole.Responder, Timeout,
            greeting: new HandshakeGreeting("bob", ["text"]));
        using var a = alice.Messages.Subscribe(_ => { }, _ => { });
        using var b = bob.Messages.Subscribe(_ => { }, _ => { });

        var atAlice = await alice.Established.WaitAsync(Timeout);
        var atBob = await bob.Established.WaitAsync(Timeout);
        Assert.True(atAlice.IsPostQuantum);
        Assert.True(atBob.IsPostQuantum);
        Assert.Equal(["text", NoiseSecurity.PostQuantumCapability], atAlice.PeerGreeting.Capabilities);
        Assert.Equal(["text", NoiseSecurity.PostQuantumCapability], atBob.PeerGreeting.Capabilities);
    }

    [Fact]
    public async Task Tcp_MiddleStripsE1_BothSidesFail()
    {
        // Frame 0 is the hello, frame 1 message 1: the middle forwards its e alone.
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((index, frame) => index == 1 ? [frame[..32]] : [frame]);
        middle.Armed = true;
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, new NoiseSecurity(_alice, postQuantum: true), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(bobConnection, new NoiseSecurity(_bob, postQuantum: true), HandshakeRole.Responder, Timeout);
        using var a = alice.Messages.Subscribe(_ => { }, _ => { });
        using var b = bob.Messages.Subscribe(_ => { }, _ => { });

        await Assert.ThrowsAnyAsync<Exception>(() => alice.Established.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<Exception>(() => bob.Established.WaitAsync(Timeout));
    }

    /// <summary>The three XX messages, each read by the other side as soon as it is written.</summary>
    private static (byte[] M1, byte[] M2, byte[] M3) Exchange(IHandshake initiator, IHandshake responder)
    {
        var m1 = Write(initiator);
        responder.ReadMessage(m1);
        var m2 = Write(responder);
        initiator.ReadMessage(m2);
        var m3 = Write(initiator);
        responder.ReadMessage(m3);
        return (m1, m2, m3);
    }
}
