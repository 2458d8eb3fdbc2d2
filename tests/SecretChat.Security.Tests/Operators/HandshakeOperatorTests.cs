using System.Buffers;
using System.Reactive;
using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Security;
using static SecretChat.Security.Tests.Operators.Bytes;

namespace SecretChat.Security.Tests.Operators;

public class HandshakeOperatorTests : ReactiveTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromTicks(500);

    private readonly TestScheduler _scheduler = new();
    private readonly List<byte[]> _sent = [];

    private ValueTask Send(ReadOnlyMemory<byte> message, CancellationToken _)
    {
        _sent.Add(message.ToArray());
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void Handshake_ArgumentChecking()
    {
        var frames = Observable.Never<ReadOnlySequence<byte>>();
        var security = new ScriptedSecurity();
        Assert.Equal("frames", Assert.Throws<ArgumentNullException>(() => SecureObservable.Handshake(null!, security, HandshakeRole.Initiator, Send, Timeout)).ParamName);
        Assert.Equal("security", Assert.Throws<ArgumentNullException>(() => frames.Handshake(null!, HandshakeRole.Initiator, Send, Timeout)).ParamName);
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => frames.Handshake(security, HandshakeRole.Initiator, null!, Timeout)).ParamName);
        Assert.Equal("role", Assert.Throws<ArgumentOutOfRangeException>(() => frames.Handshake(security, (HandshakeRole)9, Send, Timeout)).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => frames.Handshake(security, HandshakeRole.Initiator, Send, TimeSpan.Zero)).ParamName);
    }

    [Fact]
    public void Handshake_Initiator_SendsHelloThenDrivesTheModeHandshake_AndEmitsTheSessionOnce()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnNext(220, ResponderReply(BuiltInModules.Pseudo)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Equal(2, result.Messages.Count);
        Assert.Equal(220, result.Messages[0].Time);
        Assert.Equal(NotificationKind.OnNext, result.Messages[0].Value.Kind);
        Assert.Equal(BuiltInModules.Pseudo, result.Messages[0].Value.Value.Module);
        Assert.Equal(ProtocolHello.CurrentVersion, result.Messages[0].Value.Value.ProtocolVersion);
        Assert.Equal(NotificationKind.OnCompleted, result.Messages[1].Value.Kind);
        Assert.Equal(HelloBytes(BuiltInModules.Pseudo, HandshakeRole.Initiator), _sent[0]);
        Assert.Equal([.. "m1"u8, .. HandshakePayload.Encode(default, HandshakeGreeting.Empty)], _sent[1]);
        Assert.Equal(2, _sent.Count);
    }

    [Fact]
    public void Handshake_Initiator_SendsItsFirstHandshakeMessageWithItsHello_WithoutWaiting()
    {
        // Protocol 2's saved round trip: the hello and the first handshake message leave together at subscription.
        var frames = _scheduler.CreateHotObservable<ReadOnlySequence<byte>>();

        _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler), 0, 200, 201);

        Assert.Equal(2, _sent.Count);
        Assert.Equal(HelloBytes(BuiltInModules.Pseudo, HandshakeRole.Initiator), _sent[0]);
        Assert.StartsWith("m1", System.Text.Encoding.ASCII.GetString(_sent[1]));
    }

    [Fact]
    public void Handshake_ResponderGreeting_ReachesTheInitiatorsSession_UnknownCapabilitiesKept()
    {
        var greeting = new HandshakeGreeting("Bob", ["text", "future-thing"]);
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnNext(220, ResponderReply(BuiltInModules.Pseudo, greeting)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var session = result.Messages[0].Value.Value;
        Assert.Equal("Bob", session.PeerGreeting.DisplayName);
        Assert.Equal(["text", "future-thing"], session.PeerGreeting.Capabilities);
    }

    [Fact]
    public void Handshake_Responder_EchoesItsHelloAndSendsItsGreetingInItsHandshakeMessage()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Initiator)),
            OnNext(230, Seq([.. "m1"u8, .. HandshakePayload.Encode(default, new HandshakeGreeting("Alice", ["text"]))])));

        var result = _scheduler.Start(() => frames.Handshake(
            new ScriptedSecurity(), HandshakeRole.Responder, Send, Timeout, _scheduler, new HandshakeGreeting("Bob", ["text"])));

        Assert.Equal(HelloBytes(BuiltInModules.Pseudo, HandshakeRole.Responder), _sent[0]);
        Assert.Equal(ResponderReply(BuiltInModules.Pseudo, new HandshakeGreeting("Bob", ["text"])).ToArray(), _sent[1]);
        Assert.Equal("Alice", result.Messages[0].Value.Value.PeerGreeting.DisplayName);
    }

    [Fact]
    public void Handshake_ResponderHelloRewrittenInTransit_FailsAtTheInitiator()
    {
        // A middle adds a byte to the responder's clear hello; the echo inside the handshake still has the original.
        byte[] rewritten = [.. HelloBytes(BuiltInModules.Pseudo, HandshakeRole.Responder), 0x00];
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Seq(rewritten)),
            OnNext(220, ResponderReply(BuiltInModules.Pseudo)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var error = Assert.IsType<HandshakeException>(result.Messages.Single().Value.Exception);
        Assert.Contains("hello was changed on its way", error.Message);
    }

    [Fact]
    public void Handshake_ResponderReplyWithoutTheEcho_FailsAtTheInitiator()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnNext(220, Seq("m2")));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Contains("hello was changed on its way", result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_SendThrows_FailsOnTheGivenSchedulerAtTheNextTick()
    {
        var sendError = new InvalidOperationException("the connection is gone");
        ValueTask ThrowingSend(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => throw sendError;
        var frames = _scheduler.CreateHotObservable<ReadOnlySequence<byte>>();
        var threads = new List<int>();

        var result = _scheduler.Start(() => frames
            .Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, ThrowingSend, Timeout, _scheduler)
            .Do(_ => { }, _ => threads.Add(Environment.CurrentManagedThreadId)));

        // The hello is sent at subscription (200); its failure is scheduled, not raised inside the send, and
        // not on some other thread: it arrives in virtual time, on the test's own thread.
        var error = Assert.Single(result.Messages);
        Assert.Equal(201, error.Time);
        Assert.Equal(NotificationKind.OnError, error.Value.Kind);
        var handshakeError = Assert.IsType<HandshakeException>(error.Value.Exception);
        Assert.Same(sendError, handshakeError.InnerException);
        Assert.Equal([Environment.CurrentManagedThreadId], threads);
        Assert.Equal(201, frames.Subscriptions.Single().Unsubscribe);
    }

    [Fact]
    public void Handshake_Completed_LeavesItsLastSendsRunning()
    {
        // Over TCP a send completes only once the socket took it, so the last message is often still pending
        // when the session is emitted. Cancelling it dropped the message and the peer timed out.
        var tokens = new List<CancellationToken>();
        ValueTask SlowSend(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            tokens.Add(cancellationToken);
            return new ValueTask(new TaskCompletionSource().Task);
        }
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Initiator)),
            OnNext(230, Seq("m1")));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Responder, SlowSend, Timeout, _scheduler));

        Assert.Equal(NotificationKind.OnCompleted, result.Messages[^1].Value.Kind);
        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, token => Assert.False(token.IsCancellationRequested));
    }

    [Fact]
    public void Handshake_Responder_ReadsThenWrites_AndCompletesRightAfterItsLastWrite()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Initiator)),
            OnNext(230, Seq("m1")));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Responder, Send, Timeout, _scheduler));

        Assert.Equal(230, result.Messages[0].Time);
        Assert.Equal(NotificationKind.OnNext, result.Messages[0].Value.Kind);
        Assert.Equal(ResponderReply(BuiltInModules.Pseudo, HandshakeGreeting.Empty).ToArray(), _sent[^1]);
    }

    [Fact]
    public void Handshake_BothSides_FeedTheSameHelloTranscriptIntoTheModeHandshake()
    {
        var initiatorSecurity = new ScriptedSecurity();
        var responderSecurity = new ScriptedSecurity();
        _scheduler.Start(() => _scheduler.CreateHotObservable(OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)))
            .Handshake(initiatorSecurity, HandshakeRole.Initiator, Send, Timeout, _scheduler));
        var responderScheduler = new TestScheduler();
        responderScheduler.Start(() => responderScheduler.CreateHotObservable(OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Initiator)))
            .Handshake(responderSecurity, HandshakeRole.Responder, Send, Timeout, responderScheduler));

        Assert.Equal(initiatorSecurity.Prologues.Single(), responderSecurity.Prologues.Single());
    }

    [Theory]
    [InlineData("rsa", "The peer uses rsa encryption but this side uses noise")]
    [InlineData("pseudo", "The peer uses pseudo encryption but this side uses noise")]
    public void Handshake_PeerOffersAnotherMode_FailsWithAClearReason(string peerModeId, string expected)
    {
        var peerMode = BuiltInModules.TryFind(peerModeId, out var found) ? found : throw new ArgumentException(peerModeId);
        var frames = _scheduler.CreateHotObservable(OnNext(210, Hello(peerMode, HandshakeRole.Responder)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(BuiltInModules.Noise), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var error = Assert.IsType<HandshakeException>(result.Messages.Single().Value.Exception);
        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void Handshake_BothSidesInitiate_FailsWithAClearReason()
    {
        var frames = _scheduler.CreateHotObservable(OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Initiator)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Contains("Both sides tried to start the handshake", result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_NoCommonProtocolVersion_IsRefusedNamingBothSidesVersions()
    {
        var hello = new ProtocolHello([3, 4], "pseudo", HandshakeRole.Responder).ToArray();
        var frames = _scheduler.CreateHotObservable(OnNext(210, Seq(hello)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Equal(
            "The peer speaks SecretChat protocol version 3 and 4 and this side speaks version 2: there is no version in common, so one side must be updated.",
            result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_InitiatorWithNoCommonVersion_ResponderSendsItsHelloAndRefuses()
    {
        // The initiator gets the responder's hello and reaches the mirror sentence from it (see the test above).
        var hello = new ProtocolHello([3], "pseudo", HandshakeRole.Initiator).ToArray();
        var frames = _scheduler.CreateHotObservable(OnNext(210, Seq(hello)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Responder, Send, Timeout, _scheduler));

        Assert.Equal(
            "The peer speaks SecretChat protocol version 3 and this side speaks version 2: there is no version in common, so one side must be updated.",
            result.Messages.Single().Value.Exception!.Message);
        Assert.Equal(HelloBytes(BuiltInModules.Pseudo, HandshakeRole.Responder), Assert.Single(_sent));
    }

    [Fact]
    public void Handshake_VersionOneInitiator_IsRefusedAndToldInItsOwnLayout()
    {
        // A version-1 initiator sends "SCHT" 1 mode role and waits for the responder's seven bytes; it gets "SCHT" 2 mode
        // role and says "The peer speaks SecretChat protocol version 2; this side speaks version 1."
        var frames = _scheduler.CreateHotObservable(OnNext(210, Seq(0x53, 0x43, 0x48, 0x54, 1, 0, 1)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Responder, Send, Timeout, _scheduler));

        Assert.Equal(
            "The peer speaks SecretChat protocol version 1 and this side speaks version 2: there is no version in common, so one side must be updated.",
            result.Messages.Single().Value.Exception!.Message);
        Assert.Equal([0x53, 0x43, 0x48, 0x54, 2, 0, 2], Assert.Single(_sent));
    }

    [Fact]
    public void Handshake_VersionOneResponder_IsRefusedNamingBothVersions()
    {
        var frames = _scheduler.CreateHotObservable(OnNext(210, Seq(0x53, 0x43, 0x48, 0x54, 1, 0, 2)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Equal(
            "The peer speaks SecretChat protocol version 1 and this side speaks version 2: there is no version in common, so one side must be updated.",
            result.Messages.Single().Value.Exception!.Message);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1")]
    [InlineData("")]
    [InlineData("SCH")]
    public void Handshake_GarbageInsteadOfHello_FailsSayingThePeerIsNotSecretChat(string garbage)
    {
        var frames = _scheduler.CreateHotObservable(OnNext(210, Seq(garbage)));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Equal("The peer does not speak the SecretChat protocol.", result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_WrongHandshakeMessage_FailsAndDisposesTheHandshake()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnNext(220, Seq("xx")),
            OnNext(230, Seq("m2")));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var only = Assert.Single(result.Messages);
        Assert.Equal(220, only.Time);
        Assert.Equal("The scripted message was wrong.", only.Value.Exception!.Message);
        Assert.Equal(Subscribed, frames.Subscriptions.Single().Subscribe);
        Assert.Equal(220, frames.Subscriptions.Single().Unsubscribe);
    }

    [Fact]
    public void Handshake_NoAnswer_TimesOutInVirtualTime()
    {
        var frames = _scheduler.CreateHotObservable<ReadOnlySequence<byte>>();

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var only = Assert.Single(result.Messages);
        Assert.Equal(Subscribed + Timeout.Ticks, only.Time);
        Assert.Equal("The peer did not complete the handshake within 0 s.", only.Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_PeerClosesMidway_FailsSayingSo()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnCompleted<ReadOnlySequence<byte>>(220));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        Assert.Equal("The peer closed the connection during the handshake.", result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_TransportFails_WrapsTheReason()
    {
        var frames = _scheduler.CreateHotObservable(OnError<ReadOnlySequence<byte>>(215, new IOException("connection reset")));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler));

        var error = Assert.IsType<HandshakeException>(result.Messages.Single().Value.Exception);
        Assert.Equal("The connection failed during the handshake: connection reset", error.Message);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public void Handshake_SendFails_FailsTheHandshake()
    {
        var frames = _scheduler.CreateHotObservable<ReadOnlySequence<byte>>();
        ValueTask Broken(ReadOnlyMemory<byte> _, CancellationToken __) => ValueTask.FromException(new IOException("broken pipe"));

        var result = _scheduler.Start(() => frames.Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Broken, Timeout, _scheduler));

        Assert.Equal("The connection failed during the handshake: broken pipe", result.Messages.Single().Value.Exception!.Message);
    }

    [Fact]
    public void Handshake_FramesRightAfterCompletion_ReachTheStageAttachedToTheSession()
    {
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, Hello(BuiltInModules.Pseudo, HandshakeRole.Responder)),
            OnNext(220, ResponderReply(BuiltInModules.Pseudo)),
            OnNext(220, Sealed(0, "first")),
            OnNext(230, Sealed(1, "second")));

        var result = _scheduler.Start(() => frames
            .Publish(shared => shared
                .Handshake(new ScriptedSecurity(), HandshakeRole.Initiator, Send, Timeout, _scheduler)
                .SelectMany(session => shared.Decrypt(session.Receiver))
                .Select(plaintext => System.Text.Encoding.UTF8.GetString(plaintext))));

        result.Messages.AssertEqual(OnNext(220, "first"), OnNext(230, "second"));
    }

    private static ReadOnlySequence<byte> Sealed(ulong nonce, string text)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(text);
        var output = new byte[plaintext.Length + 1];
        new ChecksumCipherState().Seal(nonce, default, plaintext, output);
        return new ReadOnlySequence<byte>(output);
    }
}
