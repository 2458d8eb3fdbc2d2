using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;
using SecretChat.Transport;
using SecretChat.Transport.Simulation;

namespace SecretChat.App.Tests.Composition;

/// <summary>The builder's safe defaults and its datagram path (issue 23).</summary>
public class ChatBuilderTests
{
    [Fact]
    public void BuildChannel_NoiseWithoutAVerificationChoice_RefusesInOneSentence()
    {
        var (left, _) = InMemoryFrameTransport.CreatePair();
        using var identity = StaticKeyPair.Generate();

        var error = Assert.Throws<InvalidOperationException>(() => ChatBuilder.Over(left).SecuredBy(new NoiseSecurity(identity)).BuildChannel());

        Assert.Equal(
            "A noise chat checks who the peer is: choose how with VerifiedBy(pins or a verifier), or say AcceptAnyPeer().",
            error.Message);
    }

    [Fact]
    public async Task ConnectAsync_NoiseAcceptingAnyPeer_BothSidesSeeTheSameSafetyNumber()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        using var aliceKey = StaticKeyPair.Generate();
        using var bobKey = StaticKeyPair.Generate();

        var bobSide = ChatBuilder.Over(right).SecuredBy(new NoiseSecurity(bobKey)).AcceptAnyPeer().AsResponder().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.Over(left).SecuredBy(new NoiseSecurity(aliceKey)).AcceptAnyPeer().Named("alice")
            .ConnectAsync().WaitAsync(Timeouts.Default);
        await using var bob = await bobSide.WaitAsync(Timeouts.Default);

        var atAlice = await alice.Connected;
        var atBob = await bob.Connected;
        Assert.NotNull(atAlice.Fingerprint);
        Assert.Equal(atAlice.Fingerprint, atBob.Fingerprint);
    }

    [Theory]
    [InlineData("noise", "^Noise_XX_25519_(AESGCM|ChaChaPoly)_SHA256$")]
    [InlineData("noise-pq", @"^Noise_XXhfs_25519\+MLKEM768_(AESGCM|ChaChaPoly)_SHA256$")]
    [InlineData("rsa", "^" + RsaSecurity.ProtocolName + "$")]
    [InlineData("pseudo", "^" + PseudoSecurity.ProtocolName + "$")]
    public async Task Connected_EveryModule_BothSidesSayTheProtocolTheirHandshakeRan(string mode, string expected)
    {
        // Which noise cipher runs depends on the CPUs (forced both ways in NegotiatedProtocolTests); both sides agree.
        var (left, right) = InMemoryFrameTransport.CreatePair();
        using var aliceKey = StaticKeyPair.Generate();
        using var bobKey = StaticKeyPair.Generate();
        ISecurityModule Module(StaticKeyPair key) => mode switch
        {
            "noise" => new NoiseSecurity(key, postQuantum: false),
            "noise-pq" => new NoiseSecurity(key, postQuantum: true),
            "rsa" => new RsaSecurity(),
            _ => new PseudoSecurity(),
        };

        var bobSide = ChatBuilder.Over(right).SecuredBy(Module(bobKey)).AcceptAnyPeer().AsResponder().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.Over(left).SecuredBy(Module(aliceKey)).AcceptAnyPeer().Named("alice")
            .ConnectAsync().WaitAsync(Timeouts.Default);
        await using var bob = await bobSide.WaitAsync(Timeouts.Default);

        var atAlice = await alice.Connected;
        var atBob = await bob.Connected;
        Assert.Matches(expected, atAlice.Cipher);
        Assert.Equal(atAlice.Cipher, atBob.Cipher);
    }

    [Fact]
    public async Task ConnectAsync_NoiseVerifiedByPins_PinsThePeerAndShowsTheSafetyNumber()
    {
        using var folder = new TempDirectory();
        var pins = KnownPeers.Load(Path.Combine(folder.Path, KnownPeers.FileName));
        var (left, right) = InMemoryFrameTransport.CreatePair();
        using var aliceKey = StaticKeyPair.Generate();
        using var bobKey = StaticKeyPair.Generate();

        var bobSide = ChatBuilder.Over(right).SecuredBy(new NoiseSecurity(bobKey)).AcceptAnyPeer().AsResponder().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.Over(left).SecuredBy(new NoiseSecurity(aliceKey)).VerifiedBy(pins).Named("alice")
            .ConnectAsync().WaitAsync(Timeouts.Default);
        await using var bob = await bobSide.WaitAsync(Timeouts.Default);

        Assert.NotNull((await alice.Connected).Fingerprint);
        Assert.Equal(PeerVerdict.Match, pins.Check("bob", bobKey.PublicKey.Span).Verdict);
    }

    [Fact]
    public async Task Start_OverInMemoryConnection_NamesTheTransportFromTheConnection()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();

        var bobSide = ChatBuilder.Over(right).SecuredBy(new PseudoSecurity()).AsResponder().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.Over(left).SecuredBy(new PseudoSecurity()).Named("alice").ConnectAsync().WaitAsync(Timeouts.Default);
        await using var bob = await bobSide.WaitAsync(Timeouts.Default);

        Assert.Equal(TransportKind.InMemory, (await alice.Connected).Transport);
        Assert.Equal(TransportKind.InMemory, (await bob.Connected).Transport);
    }

    [Fact]
    public async Task OverDatagrams_LossySimulatedLink_DeliversEveryMessageInOrder()
    {
        var link = new SimulatedLink(DefaultScheduler.Instance, new SimulatedLinkOptions
        {
            Seed = 7,
            Delay = TimeSpan.FromMilliseconds(1),
            LossRate = 0.2,
            DuplicationRate = 0.05,
            ReorderRate = 0.1,
            ReorderDelay = TimeSpan.FromMilliseconds(5),
        });
        var bobSide = ChatBuilder.OverDatagrams(link.B).SecuredBy(new RsaSecurity()).WithReliability().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.OverDatagrams(link.A, link.B.LocalEndPoint).SecuredBy(new RsaSecurity()).WithReliability()
            .Named("alice").ConnectAsync().WaitAsync(Timeouts.Process);
        await using var bob = await bobSide.WaitAsync(Timeouts.Process);
        var received = bob.Events.OfType<MessageReceived>().Select(m => m.Text).Take(20).ToList().ToTask();

        for (var i = 0; i < 20; i++)
            await alice.SendAsync($"message {i}");

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"message {i}"), await received.WaitAsync(Timeouts.Process));
        Assert.Equal(TransportKind.InMemory, (await alice.Connected).Transport);
        Assert.Equal(link.B.LocalEndPoint, (await alice.Connected).RemoteEndPoint);
    }

    [Fact]
    public async Task ConnectAsync_ConnectorGivenAModuleInCode_RunsThatModuleWhateverTheOptionsName()
    {
        var connector = new ChatConnector(security: _ => SecurityChoice.AcceptingAnyPeer(new RsaSecurity()));
        var options = new ChatOptions { EndPoint = "127.0.0.1:0", Encryption = BuiltInModules.Pseudo, Name = "bob" };
        await using var listener = await connector.ListenAsync(options).WaitAsync(Timeouts.Default);
        var accepting = listener.AcceptAsync();

        await using var alice = await connector.ConnectAsync(options with { EndPoint = listener.LocalEndPoint.ToString()!, Name = "alice" })
            .WaitAsync(Timeouts.Process);
        await using var bob = await accepting.WaitAsync(Timeouts.Process);

        var connected = await ((ChatSession)alice).Connected;
        Assert.Equal(BuiltInModules.Rsa, connected.Encryption);
        Assert.Equal(TransportKind.Tcp, connected.Transport);
    }
}
