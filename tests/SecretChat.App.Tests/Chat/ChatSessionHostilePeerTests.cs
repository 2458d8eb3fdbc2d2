using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Pseudo;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Chat;

/// <summary>
/// Issue 14, attack 3: whatever the peer sends, and whatever the verifier does, the chat layer never dies silently:
/// the session ends with a reason and the peer is told (a sealed Close).
/// </summary>
public class ChatSessionHostilePeerTests
{
    private static readonly TimeSpan Timeout = Timeouts.Default;

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(253_402_300_800_000)] // the first millisecond of the year 10000
    public async Task Envelope_TimestampNoDateCanHold_EndsTheSessionAndTellsThePeerItBrokeTheProtocol(long timestamp)
    {
        var channel = new ScriptedPeerChannel();
        await using var chat = ChatSession.Start(channel);
        channel.Establish("mallory");
        await chat.Connected.WaitAsync(Timeout);

        channel.ReceiveRaw(Envelope(EnvelopeKind.Text, 1, timestamp, "hi"));

        var end = await chat.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.False(end.Clean);
        Assert.Contains("timestamp", end.Reason);
        var close = await channel.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout);
        Assert.Equal(CloseReason.ProtocolError, CloseBody.Decode(close.Bytes).Reason);
        Assert.Equal(ChatSessionState.Ended, chat.State);
    }

    [Fact]
    public async Task Envelope_TimestampLongMaxValueRightBehindTheHandshake_EndsTheSessionInsteadOfWedgingIt()
    {
        // Arrives before the introduction has run: it waits for it, then must still end the session.
        var channel = new ScriptedPeerChannel();
        await using var chat = ChatSession.Start(channel);
        var events = chat.Events.ToList().ToTask();
        channel.Establish("mallory");
        channel.ReceiveRaw(Envelope(EnvelopeKind.Text, 1, long.MaxValue, "hi"));

        var all = await events.WaitAsync(Timeout); // the event stream completes: the session ended
        Assert.Contains("timestamp", Assert.Single(all.OfType<Disconnected>()).Reason);
        Assert.Empty(all.OfType<MessageReceived>());
        Assert.Equal(CloseReason.ProtocolError,
            CloseBody.Decode((await channel.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout)).Bytes).Reason);
    }

    [Fact]
    public async Task Verifier_Throws_EndsTheSessionWithTheProblemAndTellsThePeerItsKeyCouldNotBeRecorded()
    {
        var channel = new ScriptedPeerChannel();
        await using var chat = ChatSession.Start(channel, new ChatSessionOptions { PeerVerifier = new ThrowingVerifier() });
        channel.Establish("alice");

        var error = await Assert.ThrowsAsync<ChatFailedException>(() => chat.Connected.WaitAsync(Timeout));
        Assert.Contains("/nowhere/known_peers.json cannot be written", error.Message);
        Assert.Contains("--known-peers", error.Message);
        var close = await channel.NextSentAsync(EnvelopeKind.Close).WaitAsync(Timeout);
        var body = CloseBody.Decode(close.Bytes);
        Assert.Equal(CloseReason.NotTrusted, body.Reason);
        Assert.Equal(UserSentences.PeerCouldNotBeRecorded, body.Text);
        Assert.Equal([EnvelopeKind.Close], channel.SentKinds); // nothing but the Close: no message was exchanged
    }

    [Fact]
    public async Task Verifier_Throws_ThePeerEndsWithOneSentenceSayingItsKeyCouldNotBeRecorded()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var alice = ChatBuilder.Over(left).SecuredBy(new PseudoSecurity()).AsInitiator().Named("alice").Start();
        await using var bob = ChatBuilder.Over(right).SecuredBy(new PseudoSecurity()).AsResponder().Named("bob")
            .VerifiedBy(new ThrowingVerifier()).Start();

        await Assert.ThrowsAsync<ChatFailedException>(() => bob.Connected.WaitAsync(Timeout));
        var aliceEnd = await alice.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.Equal("The peer closed the session: it does not trust this side's key (the peer could not record your key).", aliceEnd.Reason);
        Assert.False(aliceEnd.Clean);
    }

    [Fact]
    public async Task TurnAway_AfterTheHandshake_ThePeerSeesTheBusySentence()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var alice = ChatBuilder.Over(left).SecuredBy(new PseudoSecurity()).AsInitiator().Named("alice").Start();
        await using var listenerSide = new FramedSecureChannel(right, new PseudoSecurity(), HandshakeRole.Responder, TimeSpan.FromSeconds(10));

        await ChatSession.TurnAwayAsync(listenerSide, CloseReason.GoingAway, UserSentences.ListenerBusy(64), CancellationToken.None).WaitAsync(Timeout);

        var end = await alice.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeout);
        Assert.Equal("The peer closed the session: it is shutting down (the listener is busy with 64 pending handshakes; try again shortly).", end.Reason);
    }

    [Fact]
    public async Task StartSession_CheckingThePeerNeverFinishes_FailsAfterTheHandshakeTimeoutInVirtualTime()
    {
        var scheduler = new SignallingScheduler();
        var channel = new ScriptedPeerChannel();
        using var release = new ManualResetEventSlim();
        var options = new ChatOptions { EndPoint = "unused", HandshakeTimeout = TimeSpan.FromSeconds(10) };
        var starting = ChatConnector.StartSessionAsync(channel, new StuckVerifier(release), options, scheduler, CancellationToken.None);
        try
        {
            channel.Establish("slow");
            await scheduler.TimerScheduled.WaitAsync(Timeout); // the bound starts once the handshake is done

            scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks - 1);
            Assert.False(starting.IsCompleted);
            scheduler.AdvanceBy(1);

            var error = await Assert.ThrowsAsync<ChatFailedException>(() => starting.WaitAsync(Timeout));
            Assert.Equal("The handshake completed but the session was not confirmed within 10 s: the peer neither accepted this side nor said why not, or checking the peer did not finish.", error.Message);
        }
        finally
        {
            release.Set();
        }
    }

    internal static byte[] Envelope(EnvelopeKind kind, ulong id, long timestamp, string body)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var envelope = new byte[EnvelopeCodec.GetEncodedLength(bytes.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(kind, id, timestamp), bytes, envelope);
        return envelope;
    }

    /// <summary>A verifier that does not return until released (a pin file held by a lock that is never let go).</summary>
    private sealed class StuckVerifier(ManualResetEventSlim release) : IPeerVerifier
    {
        public PeerDecision Check(string peerName, SecureSession session)
        {
            release.Wait();
            return PeerDecision.Accept();
        }
    }

    /// <summary>A test scheduler that says when something was first scheduled on it (from another thread).</summary>
    private sealed class SignallingScheduler : Microsoft.Reactive.Testing.TestScheduler
    {
        private readonly TaskCompletionSource _scheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task TimerScheduled => _scheduled.Task;

        public override IDisposable ScheduleAbsolute<TState>(TState state, long dueTime, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action)
        {
            var scheduled = base.ScheduleAbsolute(state, dueTime, action);
            _scheduled.TrySetResult();
            return scheduled;
        }
    }

    /// <summary>A verifier whose pin file cannot be written (as a known-peers path that is a directory).</summary>
    private sealed class ThrowingVerifier : IPeerVerifier
    {
        public PeerDecision Check(string peerName, SecureSession session) =>
            throw new SecretChat.Security.Identity.IdentityException("/nowhere/known_peers.json",
                "The known-peers file /nowhere/known_peers.json cannot be written: Is a directory.");
    }
}
