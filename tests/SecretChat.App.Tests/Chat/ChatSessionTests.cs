using System.Buffers;
using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Chat;

/// <summary>Two chat sessions in one process over an in-memory framed pair: the chat protocol itself.</summary>
public class ChatSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Modes => new() { "pseudo", "rsa" };

    private static ISecurityModule Security(string mode) => mode switch
    {
        "rsa" => new RsaSecurity(),
        _ => new PseudoSecurity(),
    };

    private static (ChatSession Alice, ChatSession Bob) Pair(string mode, IFrameConnection? aliceSide = null, IFrameConnection? bobSide = null,
        ISecurityModule? bobSecurity = null, IPeerVerifier? bobVerifier = null)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        var alice = ChatBuilder.Over(aliceSide ?? left).SecuredBy(Security(mode)).AsInitiator().Named("alice").Start();
        var bobBuilder = ChatBuilder.Over(bobSide ?? right).SecuredBy(bobSecurity ?? Security(mode)).AsResponder().Named("bob");
        if (bobVerifier is not null)
            bobBuilder = bobBuilder.VerifiedBy(bobVerifier);
        return (alice, bobBuilder.Start());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task TwoSessions_ExchangingMessagesBothWays_DeliverInOrderAckEverythingAndFinishCleanly(string mode)
    {
        var (alice, bob) = Pair(mode);
        await using var _ = alice;
        await using var __ = bob;
        var aliceEvents = alice.Events.ToList().ToTask();
        var bobEvents = bob.Events.ToList().ToTask();

        var connected = await alice.Connected.WaitAsync(Timeout);
        Assert.Equal("bob", connected.Peer);
        Assert.Equal(mode, connected.Encryption.Id);
        Assert.Equal(mode != "pseudo", connected.IsConfidential);
        await bob.Connected.WaitAsync(Timeout);

        var ids = new List<LocalMessageId>();
        for (var i = 0; i < 50; i++)
            ids.Add(await alice.SendAsync($"alice {i}"));
        await bob.SendAsync("bob 0");
        await bob.SendAsync(new string('x', bob.MaxTextBytes));

        var finished = await Task.WhenAll(alice.FinishAsync(), bob.FinishAsync()).WaitAsync(Timeout);
        Assert.Equal([true, true], finished);

        var bobSaw = (await bobEvents.WaitAsync(Timeout)).OfType<MessageReceived>().Select(m => m.Text).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"alice {i}"), bobSaw);
        var aliceSaw = await aliceEvents.WaitAsync(Timeout);
        Assert.Equal(["bob 0", new string('x', bob.MaxTextBytes)], aliceSaw.OfType<MessageReceived>().Select(m => m.Text));
        Assert.Equal(ids, aliceSaw.OfType<Delivered>().Select(d => d.Id));
        var disconnected = Assert.IsType<Disconnected>(aliceSaw[^1]);
        Assert.True(disconnected.Clean, disconnected.Reason);
    }

    [Fact]
    public async Task Events_LateSubscriber_ReplaysConnectedAndTheRecentEvents()
    {
        var (alice, bob) = Pair("pseudo");
        await using var _ = alice;
        await using var __ = bob;
        await alice.Connected.WaitAsync(Timeout);
        await bob.Connected.WaitAsync(Timeout);
        await alice.SendAsync("early");
        await bob.Events.OfType<MessageReceived>().FirstAsync().ToTask().WaitAsync(Timeout);

        var replayed = await bob.Events.Take(2).ToList().ToTask().WaitAsync(Timeout);
        Assert.IsType<Connected>(replayed[0]);
        Assert.Equal("early", Assert.IsType<MessageReceived>(replayed[1]).Text);
    }

    [Fact]
    public async Task MismatchedModes_FailBothSides_WithTheReason()
    {
        var (alice, bob) = Pair("pseudo", bobSecurity: new RsaSecurity());
        await using var _ = alice;
        await using var __ = bob;

        var aliceError = await Assert.ThrowsAsync<ChatFailedException>(() => alice.Connected.WaitAsync(Timeout));
        var bobError = await Assert.ThrowsAsync<ChatFailedException>(() => bob.Connected.WaitAsync(Timeout));
        Assert.Equal("The peer uses rsa encryption but this side uses pseudo; both sides must choose the same security module.", aliceError.Message);
        Assert.Equal("The peer uses pseudo encryption but this side uses rsa; both sides must choose the same security module.", bobError.Message);
    }

    [Fact]
    public async Task TamperedFrame_EndsTheSessionWithAnAuthenticationReason_AndDeliversNothingFromIt()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        // Alice's 4th frame (hello, key message, her Hello envelope once she accepted bob, then her first text) gets a flipped bit.
        var tampering = new TamperingConnection(left, tamperWith: 3);
        var alice = ChatBuilder.Over(tampering).SecuredBy(new RsaSecurity()).AsInitiator().Named("alice").Start();
        var bob = ChatBuilder.Over(right).SecuredBy(new RsaSecurity()).AsResponder().Named("bob").Start();
        await using var _ = alice;
        await using var __ = bob;
        await bob.Connected.WaitAsync(Timeout);
        var bobEvents = bob.Events.ToList().ToTask();

        await alice.SendAsync("this will be tampered with");

        var events = await bobEvents.WaitAsync(Timeout);
        Assert.Empty(events.OfType<MessageReceived>());
        var disconnected = Assert.IsType<Disconnected>(events[^1]);
        Assert.False(disconnected.Clean);
        Assert.Contains("failed authentication", disconnected.Reason);
    }

    [Fact]
    public async Task Session_PeerVanishes_IsReportedAsAnUncleanDisconnect()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        var alice = ChatBuilder.Over(left).SecuredBy(new PseudoSecurity()).AsInitiator().Named("alice").Start();
        var bob = ChatBuilder.Over(right).SecuredBy(new PseudoSecurity()).AsResponder().Named("bob").Start();
        await using var _ = alice;
        await alice.Connected.WaitAsync(Timeout);
        await bob.Connected.WaitAsync(Timeout);

        right.Abort();

        var disconnected = await alice.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.False(disconnected.Clean);
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task Session_RefusedByTheVerifier_EndsBothSidesWithTheReason()
    {
        var refuseAll = new RefuseAll("Refused: this key is not the one pinned for alice.");
        var (alice, bob) = Pair("pseudo", bobVerifier: refuseAll);
        await using var _ = alice;
        await using var __ = bob;

        var bobError = await Assert.ThrowsAsync<ChatFailedException>(() => bob.Connected.WaitAsync(Timeout));
        Assert.Equal("Refused: this key is not the one pinned for alice.", bobError.Message);
        var aliceEnd = await alice.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.Contains("refused", aliceEnd.Reason);
        Assert.False(aliceEnd.Clean); // a refusal is a failure for the refused side, whatever it had sent
    }

    [Fact]
    public async Task SendAsync_TextTooLong_IsRejectedBeforeAnythingIsSent()
    {
        var (alice, bob) = Pair("pseudo");
        await using var _ = alice;
        await using var __ = bob;
        await alice.Connected.WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await alice.SendAsync(new string('x', alice.MaxTextBytes + 1)));
        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public async Task SendAsync_AfterFinishing_Throws()
    {
        var (alice, bob) = Pair("pseudo");
        await using var _ = alice;
        await using var __ = bob;
        await Task.WhenAll(alice.FinishAsync(), bob.FinishAsync()).WaitAsync(Timeout);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await alice.SendAsync("too late"));
    }

    [Fact]
    public async Task CloseAsync_WhileConnected_TellsThePeerWhy()
    {
        var (alice, bob) = Pair("pseudo");
        await using var _ = alice;
        await using var __ = bob;
        await alice.Connected.WaitAsync(Timeout);
        await bob.Connected.WaitAsync(Timeout);

        await alice.CloseAsync("closed by the user");

        var end = await bob.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.Equal("The peer closed the session (closed by the user).", end.Reason);
        Assert.True(end.Clean);
    }

    private sealed class RefuseAll(string reason) : IPeerVerifier
    {
        public PeerDecision Check(string peerName, SecureSession session) => PeerDecision.Refuse(reason);
    }

    /// <summary>A man in the middle on one side's sending path: flips one bit of the Nth frame.</summary>
    private sealed class TamperingConnection(IFrameConnection inner, int tamperWith) : IFrameConnection
    {
        private int _sent;

        public IObservable<ReadOnlySequence<byte>> Frames => inner.Frames;

        public EndPoint? RemoteEndPoint => inner.RemoteEndPoint;

        public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _sent) - 1 == tamperWith)
            {
                var copy = payload.ToArray();
                copy[^1] ^= 0x01;
                payload = copy;
            }
            return inner.SendAsync(payload, cancellationToken);
        }

        public ValueTask CompleteAsync() => inner.CompleteAsync();

        public void Abort(Exception? reason = null) => inner.Abort(reason);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
