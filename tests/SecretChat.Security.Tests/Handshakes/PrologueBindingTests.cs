using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Security.Tests.Channels;
using SecretChat.Security.Tests.Rsa;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Handshakes;

/// <summary>
/// The initiator's hello is the handshake's prologue: each side feeds exactly the label, its length and that hello into
/// the real noise or rsa handshake, and a prologue that differs in one byte between the sides makes that handshake fail.
/// </summary>
public sealed class PrologueBindingTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>"SecretChat prologue v2", the hello's length, then the initiator's hello: "SCHT" 2 1, versions [2], the module id.</summary>
    private static byte[] ExpectedPrologue(string mode)
    {
        var id = System.Text.Encoding.ASCII.GetBytes(mode);
        byte[] hello = [0x53, 0x43, 0x48, 0x54, 2, 1, 1, 2, (byte)id.Length, .. id];
        return [.. "SecretChat prologue v2"u8, (byte)hello.Length, .. hello];
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task FramedChannels_BothSides_FeedTheLabelAndBothHellosToTheRealHandshake(string mode)
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

    public static TheoryData<string, int> ChangedBytes()
    {
        var data = new TheoryData<string, int>();
        // Every byte of the hello and its length, and the first and last byte of the label.
        foreach (var mode in new[] { "noise", "rsa" })
        {
            var length = ExpectedPrologue(mode).Length;
            var label = "SecretChat prologue v2".Length;
            foreach (var position in new[] { 0, label - 1 }.Concat(Enumerable.Range(label, length - label)))
                data.Add(mode, position);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ChangedBytes))]
    public void Handshake_ProloguesDifferInOneByte_Fails(string mode, int position)
    {
        var prologue = ExpectedPrologue(mode);
        var changed = (byte[])prologue.Clone();
        changed[position] ^= 0x01;
        using var initiator = Module(mode, AliceKey).CreateHandshake(HandshakeRole.Initiator, prologue);
        using var responder = Module(mode, BobKey).CreateHandshake(HandshakeRole.Responder, changed);

        Assert.Throws<HandshakeException>(() => new HandshakeDriver().Run(initiator, responder));
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public void Handshake_SamePrologue_Completes(string mode)
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
    [InlineData("noise", 4)] // the hello's format byte
    [InlineData("rsa", 5)]   // the initiator's role byte
    [InlineData("noise", 6)] // the count of versions
    [InlineData("rsa", 7)]   // the version
    [InlineData("noise", 9)] // the module id
    public async Task FramedChannels_HelloRewrittenInOneByte_ResponderRefusesTheHandshake(string mode, int offset)
    {
        // On the wire a rewritten hello is refused before the prologue is even used (defence in depth).
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });
        var hello = new ProtocolHello(ProtocolHello.SupportedVersions, mode, HandshakeRole.Initiator).ToArray();
        hello[offset] ^= 0x04;

        await left.SendAsync(hello);

        await Assert.ThrowsAsync<HandshakeException>(() => bob.Established.WaitAsync(Timeout));
        await left.DisposeAsync();
    }

    /// <summary>A real security module that records the prologue each handshake is given.</summary>
    private sealed class RecordingSecurity(ISecurityModule inner) : ISecurityModule
    {
        public List<byte[]> Prologues { get; } = [];

        public SecurityModuleInfo Info => inner.Info;

        public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
        {
            lock (Prologues)
                Prologues.Add(prologue.ToArray());
            return inner.CreateHandshake(role, prologue);
        }
    }
}
