using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Security.Tests.Channels;
using SecretChat.Security.Tests.Rsa;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Handshakes;

/// <summary>
/// The hellos are the handshake's prologue: each side feeds exactly the label and both hellos into the real noise or
/// rsa handshake, and a prologue that differs in one byte between the sides makes that handshake fail.
/// </summary>
public sealed class PrologueBindingTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>"SecretChat prologue v1", then "SCHT" 1 mode 1 (the initiator's hello), then "SCHT" 1 mode 2 (the responder's).</summary>
    private static byte[] ExpectedPrologue(SecurityMode mode) => Convert.FromHexString(
        "536563726574436861742070726f6c6f67756520763" + "1"
        + "53434854" + "01" + $"{(byte)mode:x2}" + "01"
        + "53434854" + "01" + $"{(byte)mode:x2}" + "02");

    [Theory]
    [InlineData(SecurityMode.Noise)]
    [InlineData(SecurityMode.Rsa)]
    public async Task FramedChannels_BothSides_FeedTheLabelAndBothHellosToTheRealHandshake(SecurityMode mode)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        var aliceModule = new RecordingSecurity(Module(mode, AliceKey));
        var bobModule = new RecordingSecurity(Module(mode, BobKey));
        await using var alice = new FramedSecureChannel(left, aliceModule, HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(right, bobModule, HandshakeRole.Responder, Timeout);
        using var aliceSubscription = alice.Messages.Subscribe(_ => { }, _ => { });
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });

        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        Assert.Equal(ExpectedPrologue(mode), Assert.Single(aliceModule.Prologues));
        Assert.Equal(ExpectedPrologue(mode), Assert.Single(bobModule.Prologues));
    }

    public static TheoryData<SecurityMode, int> ChangedBytes()
    {
        var data = new TheoryData<SecurityMode, int>();
        var length = ExpectedPrologue(SecurityMode.Noise).Length;
        // Every byte of both hellos, and the first and last byte of the label.
        var positions = new[] { 0, length - 2 * ProtocolHello.Size - 1 }.Concat(Enumerable.Range(length - 2 * ProtocolHello.Size, 2 * ProtocolHello.Size));
        foreach (var position in positions)
        {
            data.Add(SecurityMode.Noise, position);
            data.Add(SecurityMode.Rsa, position);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ChangedBytes))]
    public void Handshake_ProloguesDifferInOneByte_Fails(SecurityMode mode, int position)
    {
        var prologue = ExpectedPrologue(mode);
        var changed = (byte[])prologue.Clone();
        changed[position] ^= 0x01;
        using var initiator = Module(mode, AliceKey).CreateHandshake(HandshakeRole.Initiator, prologue);
        using var responder = Module(mode, BobKey).CreateHandshake(HandshakeRole.Responder, changed);

        Assert.Throws<HandshakeException>(() => new HandshakeDriver().Run(initiator, responder));
    }

    [Theory]
    [InlineData(SecurityMode.Noise)]
    [InlineData(SecurityMode.Rsa)]
    public void Handshake_SamePrologue_Completes(SecurityMode mode)
    {
        // The control for the test above: the same two modules complete when the prologues agree.
        using var initiator = Module(mode, AliceKey).CreateHandshake(HandshakeRole.Initiator, ExpectedPrologue(mode));
        using var responder = Module(mode, BobKey).CreateHandshake(HandshakeRole.Responder, ExpectedPrologue(mode));

        new HandshakeDriver().Run(initiator, responder);

        using var initiatorSession = initiator.Split();
        using var responderSession = responder.Split();
        Assert.Equal(initiatorSession.HandshakeHash.ToArray(), responderSession.HandshakeHash.ToArray());
    }

    [Theory]
    [InlineData(SecurityMode.Noise, 5)] // the initiator's mode byte
    [InlineData(SecurityMode.Rsa, 5)]
    [InlineData(SecurityMode.Noise, 6)] // the initiator's role byte
    [InlineData(SecurityMode.Rsa, 4)]   // the initiator's version byte
    public async Task FramedChannels_HelloRewrittenInOneByte_ResponderRefusesTheHandshake(SecurityMode mode, int offset)
    {
        // On the wire a rewritten hello is refused before the prologue is even used (defence in depth).
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });
        var hello = new ProtocolHello(ProtocolHello.CurrentVersion, mode, HandshakeRole.Initiator).ToArray();
        hello[offset] ^= 0x04;

        await left.SendAsync(hello);

        await Assert.ThrowsAsync<HandshakeException>(() => bob.Established.WaitAsync(Timeout));
        await left.DisposeAsync();
    }

    /// <summary>A real security module that records the prologue each handshake is given.</summary>
    private sealed class RecordingSecurity(ISecurityModule inner) : ISecurityModule
    {
        public List<byte[]> Prologues { get; } = [];

        public SecurityMode Mode => inner.Mode;

        public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
        {
            lock (Prologues)
                Prologues.Add(prologue.ToArray());
            return inner.CreateHandshake(role, prologue);
        }
    }
}
