using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.App.Tests.Fakes;
using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.App.Tests.Chat;

/// <summary>
/// <see cref="ChatSession"/>'s states, one transition per test, against a peer played by the test
/// (<see cref="ScriptedPeerChannel"/>), which can also send what a well-behaved peer never would.
/// </summary>
public class ChatSessionStateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static (ChatSession Chat, ScriptedPeerChannel Peer) Start(IPeerVerifier? verifier = null)
    {
        var peer = new ScriptedPeerChannel();
        var chat = ChatSession.Start(peer, new ChatSessionOptions { Name = "alice", PeerVerifier = verifier ?? AcceptAnyPeer.Instance });
        return (chat, peer);
    }

    private static async Task<(ChatSession Chat, ScriptedPeerChannel Peer)> ConnectedAsync()
    {
        var (chat, peer) = Start();
        peer.Establish("bob");
        await chat.Connected.WaitAsync(Timeout);
        return (chat, peer);
    }

    private static List<ChatEvent> Replay(IChat chat)
    {
        var seen = new List<ChatEvent>();
        chat.Events.Subscribe(seen.Add).Dispose(); // the replay arrives during Subscribe
        return seen;
    }

    [Fact]
    public async Task Start_BeforeTheHandshakeCompletes_IsHandshakingAndSendsNothing()
    {
        var (chat, peer) = Start();
        await using var _ = chat;

        Assert.Equal(ChatSessionState.Handshaking, chat.State);
        Assert.False(chat.Connected.IsCompleted);
        Assert.Empty(peer.SentKinds); // protocol 2: the name went inside the handshake, no Hello envelope
    }

    [Fact]
    public async Task Establish_PeerGreetingAccepted_MovesToConnectedUnderTheGreetingsName()
    {
        var (chat, peer) = Start();
        await using var _ = chat;

        peer.Establish("bob");

        Assert.Equal("bob", (await chat.Connected.WaitAsync(Timeout)).Peer);
        Assert.Equal(ChatSessionState.Connected, chat.State);
        // Only the Hello that says bob was accepted: the name itself travelled in the handshake.
        Assert.Equal([EnvelopeKind.Hello], peer.SentKinds);
    }

    [Fact]
    public async Task PeerText_RightBehindTheHandshake_IsDeliveredFromTheGreetingsName()
    {
        // The initiator's first text may follow its last handshake message at once: it can reach the chat before the
        // continuation of Established has run, and must not count as "spoke before introducing itself".
        var (chat, peer) = Start();
        await using var _ = chat;

        peer.Establish("bob");
        peer.Receive(EnvelopeKind.Text, 1, "first");

        Assert.Equal("bob", (await chat.Connected.WaitAsync(Timeout)).Peer);
        var received = Assert.Single(Replay(chat).OfType<MessageReceived>());
        Assert.Equal(("bob", "first"), (received.From, received.Text));
    }

    [Fact]
    public async Task Establish_PeerRefused_TellsThePeerNotTrustedAndMovesToEnded()
    {
        var (chat, peer) = Start(new RefuseAll());
        await using var _ = chat;

        peer.Establish("mallory");
        var close = await peer.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout);
        Assert.NotEqual(ChatSessionState.Connected, chat.State);
        peer.Receive(EnvelopeKind.Text, 1, "ignored while refusing");

        Assert.Equal(new CloseBody(CloseReason.NotTrusted, "your identity was refused"), CloseBody.Decode(close.Bytes));
        Assert.Equal(0ul, close.Header.Id); // the id no longer says what kind of close it is
        await chat.Completion.WaitAsync(Timeout);
        Assert.Equal(ChatSessionState.Ended, chat.State);
        Assert.Empty(Replay(chat).OfType<MessageReceived>());
        Assert.Equal("Refused.", Assert.IsType<Disconnected>(Replay(chat)[^1]).Reason);
    }

    [Fact]
    public async Task HelloEnvelope_FromProtocolOne_IsIgnored_AndThePeerKeepsItsGreetingName()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.Receive(EnvelopeKind.Hello, body: "mallory");
        peer.Receive(EnvelopeKind.Text, 1, "hi");

        var events = Replay(chat);
        Assert.Equal("bob", Assert.Single(events.OfType<Connected>()).Peer);
        Assert.Equal("bob", Assert.Single(events.OfType<MessageReceived>()).From);
        Assert.Equal(ChatSessionState.Connected, chat.State);
    }

    [Theory]
    [InlineData(EnvelopeKind.Text)]
    [InlineData(EnvelopeKind.Finished)]
    public async Task PeerEnvelope_BeforeThePeersHello_EndsTheSession(EnvelopeKind kind)
    {
        var (chat, peer) = Start();
        await using var _ = chat;

        peer.Receive(kind, 1, "too early");

        Assert.Equal(ChatSessionState.Ended, chat.State);
        var error = await Assert.ThrowsAsync<ChatFailedException>(() => chat.Connected.WaitAsync(Timeout));
        Assert.Equal("The peer sent messages before introducing itself.", error.Message);
    }

    [Fact]
    public async Task FinishAsync_BeforeThePeerFinishes_MovesToFinishingAndRefusesFurtherSends()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        var finishing = chat.FinishAsync();
        await peer.NextSentAsync(EnvelopeKind.Finished).WaitAsync(Timeout);

        Assert.Equal(ChatSessionState.Finishing, chat.State);
        Assert.False(finishing.IsCompleted);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await chat.SendAsync("late"));
        Assert.Equal("This side has already finished sending.", error.Message);
    }

    [Fact]
    public async Task PeerFinished_BeforeThisSideFinishes_MovesToPeerFinishedAndThisSideMayStillSend()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.Receive(EnvelopeKind.Finished);
        var id = await chat.SendAsync("still talking");

        Assert.Equal(ChatSessionState.PeerFinished, chat.State);
        Assert.Equal("still talking", (await peer.NextSentAsync(EnvelopeKind.Text).WaitAsync(Timeout)).Body);
        Assert.Equal(new LocalMessageId(1), id);
    }

    [Fact]
    public async Task FinishAsync_WithAMessageUnacknowledged_WaitsInBothFinishedUntilTheLastAckThenClosesCleanly()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;
        var id = await chat.SendAsync("please ack");
        peer.Receive(EnvelopeKind.Finished);

        var finishing = chat.FinishAsync();
        await peer.NextSentAsync(EnvelopeKind.Finished).WaitAsync(Timeout);
        Assert.Equal(ChatSessionState.BothFinished, chat.State);
        Assert.False(peer.HalfClosed.IsCompleted);

        peer.Receive(EnvelopeKind.Ack, id.Value);
        Assert.Equal(ChatSessionState.Closing, chat.State);
        await peer.HalfClosed.WaitAsync(Timeout);
        peer.EndOfStream();

        Assert.True(await finishing.WaitAsync(Timeout));
        Assert.Equal(ChatSessionState.Ended, chat.State);
        var end = Assert.IsType<Disconnected>(Replay(chat)[^1]);
        Assert.True(end.Clean, end.Reason);
        Assert.Equal("The peer finished and closed the session.", end.Reason);
    }

    [Fact]
    public async Task PeerFinished_SentTwice_IsReportedOnce()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.Receive(EnvelopeKind.Finished);
        peer.Receive(EnvelopeKind.Finished);

        Assert.Single(Replay(chat).OfType<PeerFinished>());
        Assert.Equal(ChatSessionState.PeerFinished, chat.State);
    }

    [Fact]
    public async Task FinishAsync_CalledTwice_TellsThePeerOnceAndBothCallsSeeTheEnd()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        var first = chat.FinishAsync();
        var second = chat.FinishAsync();
        await peer.NextSentAsync(EnvelopeKind.Finished).WaitAsync(Timeout);
        peer.Receive(EnvelopeKind.Finished);
        peer.EndOfStream();

        var acknowledged = await Task.WhenAll(first, second).WaitAsync(Timeout);
        Assert.Equal([true, true], acknowledged);
        Assert.Single(peer.SentKinds, kind => kind == EnvelopeKind.Finished);
    }

    [Fact]
    public async Task PeerText_AfterThePeersClose_IsIgnored()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.ReceiveClose(CloseReason.Orderly, "bye");
        peer.Receive(EnvelopeKind.Text, 7, "after the close");

        Assert.Equal(ChatSessionState.Ended, chat.State);
        await chat.Completion.WaitAsync(Timeout);
        var events = Replay(chat);
        Assert.Empty(events.OfType<MessageReceived>());
        Assert.Equal("The peer closed the session (bye).", Assert.IsType<Disconnected>(events[^1]).Reason);
        Assert.DoesNotContain(EnvelopeKind.Ack, peer.SentKinds);
    }

    [Fact]
    public async Task CloseAsync_WhileConnected_TellsThePeerAndMovesToEnded()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        await chat.CloseAsync("closed by the user");

        Assert.Equal(ChatSessionState.Ended, chat.State);
        var close = await peer.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout);
        Assert.Equal(new CloseBody(CloseReason.Orderly, "closed by the user"), CloseBody.Decode(close.Bytes));
        Assert.Equal(0ul, close.Header.Id);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await chat.SendAsync("after the end"));
        Assert.Equal("The session has ended.", error.Message);
    }

    [Fact]
    public async Task CloseAsync_CallerStopsWaiting_EndsAtOnceAnyway()
    {
        var (chat, _) = await ConnectedAsync();
        await using var __ = chat;
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        await chat.CloseAsync("closed by the user", stopped.Token);

        Assert.Equal(ChatSessionState.Ended, chat.State);
        await chat.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Establish_PeerRefusedForAChangedKey_TellsThePeerKeyChangedSoItsSideCanSayWhatToDo()
    {
        var (chat, peer) = Start(new RefuseAsKeyChanged());
        await using var _ = chat;

        peer.Establish("bob");
        var close = await peer.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout);

        Assert.Equal(new CloseBody(CloseReason.KeyChanged, ""), CloseBody.Decode(close.Bytes));
        await chat.Completion.WaitAsync(Timeout);
        Assert.Equal("REFUSED: key changed.", Assert.IsType<Disconnected>(Replay(chat)[^1]).Reason);
    }

    [Fact]
    public async Task Establish_PeerSaysHelloWhenAccepted_IsConnectedOnlyOnceItsHelloArrives()
    {
        var (chat, peer) = Start();
        await using var _ = chat;
        var hello = peer.NextSentAsync(EnvelopeKind.Hello);

        peer.Establish("bob", ChatSession.Capabilities);
        await hello.WaitAsync(Timeout);

        // This side accepted bob and said so; bob has not said so yet: no banner, no state but handshaking.
        Assert.False(chat.Connected.IsCompleted);
        Assert.Equal(ChatSessionState.Handshaking, chat.State);
        Assert.Empty(Replay(chat).OfType<Connected>());

        peer.Receive(EnvelopeKind.Hello);
        Assert.Equal("bob", (await chat.Connected.WaitAsync(Timeout)).Peer);
        Assert.Equal(ChatSessionState.Connected, chat.State);
    }

    [Fact]
    public async Task PathChange_BeforeThePeersHello_FollowsTheConnectedEventInstead()
    {
        // A p2p session can move from the relay to a direct path while the peers still introduce themselves; an event
        // reader must see the session (on the relay) first and the move after it, not a move of a session not yet shown.
        var (chat, peer) = Start();
        await using var _ = chat;
        var hello = peer.NextSentAsync(EnvelopeKind.Hello);
        peer.Establish("bob", ChatSession.Capabilities);
        await hello.WaitAsync(Timeout);
        var direct = new IPEndPoint(IPAddress.Parse("192.0.2.12"), 40000);

        peer.MovePath(new PathChange(PathKind.Direct, direct, PathMoveReason.Upgraded));
        Assert.Empty(Replay(chat).OfType<PathChanged>());
        peer.Receive(EnvelopeKind.Hello);
        await chat.Connected.WaitAsync(Timeout);
        peer.MovePath(new PathChange(PathKind.Relay, null, PathMoveReason.DirectSilent));

        var events = Replay(chat).Where(e => e is Connected or PathChanged).ToList();
        Assert.Collection(events,
            e => Assert.IsType<Connected>(e),
            e => Assert.Equal((PathKind.Direct, (EndPoint?)direct), (((PathChanged)e).Path, ((PathChanged)e).Remote)),
            e => Assert.Equal(PathKind.Relay, Assert.IsType<PathChanged>(e).Path));
    }

    [Fact]
    public async Task PathChange_OfASessionNeverConnected_IsNeverShown()
    {
        var (chat, peer) = Start(new RefuseAsKeyChanged());
        await using var _ = chat;

        peer.MovePath(new PathChange(PathKind.Direct, null, PathMoveReason.Upgraded));
        peer.Establish("mallory");
        await chat.Completion.WaitAsync(Timeout);

        Assert.Empty(Replay(chat).OfType<PathChanged>());
    }

    [Theory]
    [InlineData(CloseReason.KeyChanged, "", "another key pinned for you")]
    [InlineData(CloseReason.GoingAway, "the listener is in a session with someone else; try again later", "in a session with someone else")]
    public async Task Establish_PeerClosesInsteadOfSayingHello_FailsWithTheReasonAndIsNeverConnected(CloseReason reason, string text, string expected)
    {
        var (chat, peer) = Start();
        await using var _ = chat;
        var hello = peer.NextSentAsync(EnvelopeKind.Hello);
        peer.Establish("bob", ChatSession.Capabilities);
        await hello.WaitAsync(Timeout);

        peer.ReceiveClose(reason, text);

        var failed = await Assert.ThrowsAsync<ChatFailedException>(() => chat.Connected.WaitAsync(Timeout));
        Assert.Contains(expected, failed.Message, StringComparison.Ordinal);
        var events = Replay(chat);
        Assert.Empty(events.OfType<Connected>());
        Assert.Contains(expected, Assert.IsType<Disconnected>(events[^1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Establish_ChangedKeyTrustedByTheUser_PeerIsToldToWaitThenTheSessionGoesOn()
    {
        var answer = new TaskCompletionSource<PeerDecision?>(TaskCreationOptions.RunContinuationsAsynchronously);
        PeerDecision? asked = null;
        var questioned = new TaskCompletionSource();
        var peer = new ScriptedPeerChannel();
        var chat = ChatSession.Start(peer, new ChatSessionOptions
        {
            Name = "alice",
            PeerVerifier = new RefuseAsKeyChanged(),
            KeyChangeQuestion = (refusal, _) =>
            {
                asked = refusal;
                questioned.SetResult();
                return answer.Task;
            },
        });
        await using var _ = chat;
        var deciding = peer.NextSentAsync(EnvelopeKind.Deciding);
        var hello = peer.NextSentAsync(EnvelopeKind.Hello);
        peer.Establish("bob", ChatSession.Capabilities);
        peer.Receive(EnvelopeKind.Hello); // bob accepted alice right away

        // Bob is told to wait, with why; nothing else is sent while the user decides.
        var told = await deciding.WaitAsync(Timeout);
        Assert.Equal(new[] { (byte)CloseReason.KeyChanged }, told.Bytes);
        Assert.False(await chat.Deciding.WaitAsync(Timeout));
        await questioned.Task.WaitAsync(Timeout);
        Assert.Equal("REFUSED: key changed.", asked?.Explanation);
        Assert.DoesNotContain(EnvelopeKind.Close, peer.SentKinds);
        Assert.False(chat.Connected.IsCompleted);

        answer.SetResult(PeerDecision.Accept("12345") with { Contact = ContactStatus.Replaced, ContactName = "bob" });

        await hello.WaitAsync(Timeout);
        var connected = await chat.Connected.WaitAsync(Timeout);
        Assert.Equal(ContactStatus.Replaced, connected.Contact);
        Assert.Equal("12345", connected.Fingerprint);
        await chat.SendAsync("hi");
        Assert.Equal("hi", (await peer.NextSentAsync(EnvelopeKind.Text).WaitAsync(Timeout)).Body);
        Assert.DoesNotContain(EnvelopeKind.Close, peer.SentKinds);
    }

    [Fact]
    public async Task Establish_ChangedKeyNobodyAnswers_RefusedWithKeyChangedWhenTheAnswerTimeoutRunsOut()
    {
        var scheduler = new Microsoft.Reactive.Testing.TestScheduler();
        var peer = new ScriptedPeerChannel();
        var chat = ChatSession.Start(peer, new ChatSessionOptions
        {
            Name = "alice",
            PeerVerifier = new RefuseAsKeyChanged(),
            KeyChangeQuestion = (_, _) => new TaskCompletionSource<PeerDecision?>().Task, // the user never answers
            KeyChangeAnswerTimeout = TimeSpan.FromMinutes(2),
            Scheduler = scheduler,
        });
        await using var _ = chat;
        var deciding = peer.NextSentAsync(EnvelopeKind.Deciding);
        var close = peer.NextSentAsync(EnvelopeKind.Close);
        peer.Establish("bob", ChatSession.Capabilities);
        await deciding.WaitAsync(Timeout);

        scheduler.AdvanceBy(TimeSpan.FromMinutes(2).Ticks - 1);
        Assert.False(close.IsCompleted);
        Assert.False(chat.Completion.IsCompleted);
        scheduler.AdvanceBy(1);

        Assert.Equal(new CloseBody(CloseReason.KeyChanged, ""), CloseBody.Decode((await close.WaitAsync(Timeout)).Bytes));
        await chat.Completion.WaitAsync(Timeout);
        Assert.Contains("nobody accepted it within 120 s", Assert.IsType<Disconnected>(Replay(chat)[^1]).Reason, StringComparison.Ordinal);
        Assert.Empty(Replay(chat).OfType<Connected>());
    }

    [Fact]
    public async Task Establish_PeerSaysItsUserIsDeciding_TheIntroductionWaitsOnAPerson()
    {
        var (chat, peer) = Start();
        await using var _ = chat;
        peer.Establish("bob", ChatSession.Capabilities);

        peer.Receive(EnvelopeKind.Deciding, body: "\u0006");

        Assert.True(await chat.Deciding.WaitAsync(Timeout));
        Assert.False(chat.Connected.IsCompleted);
        peer.Receive(EnvelopeKind.Hello);
        await chat.Connected.WaitAsync(Timeout);
    }

    private sealed class RefuseAsKeyChanged : IPeerVerifier
    {
        public PeerDecision Check(string peerName, SecureSession session) =>
            PeerDecision.Refuse("REFUSED: key changed.") with { RefusalReason = CloseReason.KeyChanged };
    }

    [Theory]
    [InlineData(CloseReason.NotTrusted, "your identity was refused", "The peer closed the session: it does not trust this side's key (your identity was refused).")]
    [InlineData(CloseReason.ProtocolError, "", "The peer closed the session: this side broke the protocol.")]
    [InlineData(CloseReason.KeyChanged, "", "The peer closed the session: its user has another key pinned for you; if you made a new identity, they must compare safety numbers with you and accept your new key (/trust).")]
    [InlineData((CloseReason)77, "why", "The peer closed the session: reason code 77 (why).")]
    public async Task PeerClose_WithAReasonCode_EndsUncleanlySayingWhy(CloseReason reason, string text, string expected)
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.ReceiveClose(reason, text);

        var end = Assert.IsType<Disconnected>(Replay(chat)[^1]);
        Assert.False(end.Clean);
        Assert.Equal(expected, end.Reason);
    }

    [Fact]
    public async Task PeerEnvelope_Malformed_TellsThePeerItBrokeTheProtocol()
    {
        // Over TCP the peer used to see only the connection close; now it reads why.
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.Receive(EnvelopeKind.Text, 1, "ok");
        peer.ReceiveRaw([0x02, 0x00]); // shorter than an envelope header

        var close = CloseBody.Decode((await peer.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout)).Bytes);
        Assert.Equal(CloseReason.ProtocolError, close.Reason);
        Assert.Contains("shorter than its header", close.Text);
        await chat.Completion.WaitAsync(Timeout);
        Assert.False(Assert.IsType<Disconnected>(Replay(chat)[^1]).Clean);
    }

    [Fact]
    public async Task EndOfStream_BeforeThePeerFinished_EndsUncleanly()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;

        peer.EndOfStream();

        Assert.Equal(ChatSessionState.Ended, chat.State);
        var end = Assert.IsType<Disconnected>(Replay(chat)[^1]);
        Assert.False(end.Clean);
        Assert.Equal("The peer closed the connection.", end.Reason);
    }

    [Fact]
    public async Task Events_LateSubscriberAfterALongSession_GetsConnectedAndOnlyTheMostRecentEvents()
    {
        var (chat, peer) = await ConnectedAsync();
        await using var _ = chat;
        const int extra = 50;
        var sent = ChatEventHistory.RecentEventLimit + extra;
        for (var id = 1ul; id <= (ulong)sent; id++)
            peer.Receive(EnvelopeKind.Text, id, $"message {id}");

        var replay = Replay(chat);

        Assert.Equal(1 + ChatEventHistory.RecentEventLimit, replay.Count);
        Assert.Equal("bob", Assert.IsType<Connected>(replay[0]).Peer);
        Assert.Equal(
            Enumerable.Range(extra + 1, ChatEventHistory.RecentEventLimit).Select(id => new PeerMessageId((ulong)id)),
            replay.Skip(1).Select(e => Assert.IsType<MessageReceived>(e).Id));
    }

    [Fact]
    public async Task Events_LateSubscriberAfterTheEnd_GetsTheRecentEventsEndingWithDisconnectedThenCompletes()
    {
        var (chat, peer) = await ConnectedAsync();
        peer.Receive(EnvelopeKind.Text, 1, "hi");
        await chat.DisposeAsync();

        var all = await chat.Events.ToList().ToTask().WaitAsync(Timeout);

        Assert.Collection(all,
            e => Assert.IsType<Connected>(e),
            e => Assert.Equal("hi", Assert.IsType<MessageReceived>(e).Text),
            e => Assert.Equal("The session was closed.", Assert.IsType<Disconnected>(e).Reason));
    }

    private sealed class RefuseAll : IPeerVerifier
    {
        public PeerDecision Check(string peerName, SecureSession session) => PeerDecision.Refuse("Refused.");
    }
}
