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
    private static SecurityModuleInfo BuiltInModuleNamed(string id) =>
        BuiltInModules.TryFind(id, out var module) ? module : throw new ArgumentException($"No built-in module '{id}'.", nameof(id));

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>"SecretChat prologue v1", then "SCHT" 1 mode 1 (the initiator's hello), then "SCHT" 1 mode 2 (the responder's).</summary>
    // Protocol version 1 names the built-in modules with one byte: pseudo 0, rsa 1, noise 2.
    private static string ModeByte(SecurityModuleInfo mode) => mode.Id switch { "pseudo" => "00", "rsa" => "01", _ => "02" };

    private static byte[] ExpectedPrologue(SecurityModuleInfo mode) => Convert.FromHexString(
        "536563726574436861742070726f6c6f67756520763" + "1"
        + "53434854" + "01" + ModeByte(mode) + "01"
        + "53434854" + "01" + ModeByte(mode) + "02");

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task FramedChannels_BothSides_FeedTheLabelAndBothHellosToTheRealHandshake(string modeId)
    {
        var mode = BuiltInModuleNamed(modeId);
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

    public static TheoryData<SecurityModuleInfo, int> ChangedBytes()
    {
        var data = new TheoryData<SecurityModuleInfo, int>();
        var length = ExpectedPrologue(BuiltInModules.Noise).Length;
        // Every byte of both hellos, and the first and last byte of the label.
        var positions = new[] { 0, length - 2 * ProtocolHello.Size - 1 }.Concat(Enumerable.Range(length - 2 * ProtocolHello.Size, 2 * ProtocolHello.Size));
        foreach (var position in positions)
        {
            data.Add(BuiltInModules.Noise, position);
            data.Add(BuiltInModules.Rsa, position);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ChangedBytes))]
    public void Handshake_ProloguesDifferInOneByte_Fails(SecurityModuleInfo mode, int position)
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
    public void Handshake_SamePrologue_Completes(string modeId)
    {
        var mode = BuiltInModuleNamed(modeId);
        // The control for the test above: the same two modules complete when the prologues agree.
        using var initiator = Module(mode, AliceKey).CreateHandshake(HandshakeRole.Initiator, ExpectedPrologue(mode));
        using var responder = Module(mode, BobKey).CreateHandshake(HandshakeRole.Responder, ExpectedPrologue(mode));

        new HandshakeDriver().Run(initiator, responder);

        using var initiatorSession = initiator.Split();
        using var responderSession = responder.Split();
        Assert.Equal(initiatorSession.HandshakeHash.ToArray(), responderSession.HandshakeHash.ToArray());
    }

    [Theory]
    [InlineData("noise", 5)] // the initiator's mode byte
    [InlineData("rsa", 5)]
    [InlineData("noise", 6)] // the initiator's role byte
    [InlineData("rsa", 4)]   // the initiator's version byte
    public async Task FramedChannels_HelloRewrittenInOneByte_ResponderRefusesTheHandshake(string modeId, int offset)
    {
        var mode = BuiltInModuleNamed(modeId);
        // On the wire a rewritten hello is refused before the prologue is even used (defence in depth).
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });
        var hello = new ProtocolHello(ProtocolHello.CurrentVersion, mode.Id, HandshakeRole.Initiator).ToArray();
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
