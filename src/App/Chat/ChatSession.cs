using System.Buffers;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.Chat;

/// <summary>
/// A chat session over a secure channel: envelopes in (decoded into events) and out (text,
/// acknowledgements, finish and close), whatever transport and security mode carry them.
/// </summary>
/// <remarks>
/// Protocol 2: the peer's name arrives inside the handshake (<see cref="SecureSession.PeerGreeting"/>), so the
/// peer is checked as soon as the session is established and a text may follow the last handshake message at
/// once; every <see cref="EnvelopeKind.Text"/> is answered by an <see cref="EnvelopeKind.Ack"/> with
/// its id; <see cref="EnvelopeKind.Finished"/> says "I have nothing more to send" (the sender still
/// receives and acknowledges); <see cref="EnvelopeKind.Close"/> ends the session with a <see cref="CloseBody"/>:
/// a reason code (orderly for a user's close, not-trusted when the peer was refused, protocol-error when the peer
/// sent something invalid) and a text. Both sides announce <see cref="AcceptedHello"/>: each sends a
/// <see cref="EnvelopeKind.Hello"/> once its verifier accepted the peer, and is connected only once the peer's Hello
/// arrived, so a side the peer refuses (or turns away as busy) hears the Close and is never connected first. From a peer
/// that does not announce it, a Hello is ignored like any unknown kind and the peer is connected once accepted.
/// Once both sides have finished and everything is acknowledged, each half-closes the connection.
/// <see cref="ChatSessionState"/> lists the states and their transitions; <see cref="TryMove"/> is the only place they change.
/// </remarks>
public sealed class ChatSession : IChat
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>How long a failed write waits for the receiving side to end the session (with the peer's own reason) first.</summary>
    private static readonly TimeSpan SendFailureGrace = TimeSpan.FromSeconds(1);

    /// <summary>What this chat supports, announced in the handshake; a peer ignores the capabilities it does not know.</summary>
    public static IReadOnlyList<string> Capabilities { get; } = ["text", "ack", "finished", "close-reasons", AcceptedHello];

    /// <summary>
    /// The capability of a chat that sends a Hello envelope once it has checked and accepted its peer, and shows the
    /// peer as connected only when the peer's Hello has arrived: a refused side hears the refusal, never a banner first.
    /// </summary>
    public const string AcceptedHello = "hello-when-accepted";

    /// <summary>
    /// What a chat says about itself inside the handshake: <paramref name="name"/> (cut to
    /// <see cref="HandshakeGreeting.MaxNameBytes"/> bytes at a character boundary) and <see cref="Capabilities"/>.
    /// </summary>
    public static HandshakeGreeting GreetingFor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        while (StrictUtf8.GetByteCount(name) > HandshakeGreeting.MaxNameBytes)
            name = name[..^(name.Length > 1 && char.IsLowSurrogate(name[^1]) ? 2 : 1)];
        return new HandshakeGreeting(name, Capabilities);
    }

    private readonly ISecureChannel _channel;
    private readonly ChatSessionOptions _options;
    private readonly ChatEventHistory _events = new();
    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _unacknowledged = [];
    private readonly TaskCompletionSource<Connected> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closingOrEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _introduction = new();
    private readonly List<Action> _early = [];
    private readonly Lock _paths = new();
    private List<PathChanged>? _pathChangesBeforeConnected = [];
    private bool _introduced;
    private IDisposable? _subscription;
    private Security.Pairing.CodePairing? _pairing;
    private bool _pairingConfirmed;
    private bool _peerSaysHello;
    private bool _peerHelloArrived;
    private (Connected Connected, string? Notice)? _accepted;
    private readonly TaskCompletionSource<bool> _deciding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChatSessionState _state = ChatSessionState.Handshaking;
    private string? _peerName;
    private ulong _lastSentId;
    private string? _refusal;
    private Exception? _failureCause;
    private Task _disposal = Task.CompletedTask;

    private ChatSession(ISecureChannel channel, ChatSessionOptions options)
    {
        _channel = channel;
        _options = options;
        channel.Established.ContinueWith(
            _ => Introduce(),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>
    /// Starts a session on <paramref name="channel"/>: the handshake begins at once. The chat owns
    /// the channel from now on.
    /// </summary>
    public static ChatSession Start(ISecureChannel channel, ChatSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var chat = new ChatSession(channel, options ?? new ChatSessionOptions());
        chat._subscription = new CompositeDisposable(
            channel.PathChanges.Subscribe(change => chat.EmitPathChange(new PathChanged(change.Path, change.Remote, change.Reason, channel.ReportPath()))),
            channel.Notices.Subscribe(notice => chat.Emit(new ChatError(notice))),
            channel.Messages
                .Select(InboundEnvelope.Read)
                .Subscribe(chat.OnEnvelope, chat.OnFailed, chat.OnClosedByPeer));
        return chat;
    }

    /// <summary>
    /// Turns a peer away without a session: waits for its handshake (bounded by the channel's handshake timeout), then
    /// sends one Close with <paramref name="reason"/> and <paramref name="text"/> and completes sending. The caller
    /// disposes the channel.
    /// </summary>
    internal static async Task TurnAwayAsync(ISecureChannel channel, CloseReason reason, string text, CancellationToken cancellationToken)
    {
        // Reading drives the handshake; whatever the peer sends afterwards is not looked at.
        using var reading = channel.Messages.Subscribe(_ => { }, _ => { });
        await channel.Established.WaitAsync(cancellationToken).ConfigureAwait(false);
        var body = new CloseBody(reason, text).Encode();
        var envelope = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(EnvelopeKind.Close, 0, Now), body, envelope);
        await channel.SendAsync(envelope, cancellationToken).ConfigureAwait(false);
        await channel.CompleteAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public PathReport? ReportPath() => _channel.ReportPath();

    /// <summary>The longest text one message can carry: the channel's message size less the envelope header.</summary>
    public int MaxTextBytes => _channel.MaxMessageSize - EnvelopeCodec.HeaderSize;

    /// <inheritdoc/>
    /// <remarks>A late subscriber receives <see cref="Chat.Connected"/> and the last <see cref="ChatEventHistory.RecentEventLimit"/> events first.</remarks>
    public IObservable<ChatEvent> Events => _events.Events;

    /// <inheritdoc/>
    public Task Completion => _completion.Task;

    /// <summary>Completes when the peer has introduced itself and was accepted; fails with <see cref="ChatFailedException"/> otherwise.</summary>
    public Task<Connected> Connected => _connected.Task;

    /// <summary>
    /// Completes when the introduction waits on a person: this side asks its user about the peer's changed key
    /// (<see cref="ChatSessionOptions.KeyChangeQuestion"/>), or the peer said its user is deciding about this side's key.
    /// Whoever bounds the introduction then allows <see cref="ChatSessionOptions.KeyChangeAnswerTimeout"/>. True when it is
    /// the peer's user who decides.
    /// </summary>
    internal Task<bool> Deciding => _deciding.Task;

    /// <summary>Where the session is in the chat protocol (see <see cref="ChatSessionState"/> for the transitions).</summary>
    public ChatSessionState State
    {
        get
        {
            lock (_gate)
                return _state;
        }
    }

    /// <summary>The established session (null until the handshake completes).</summary>
    public SecureSession? Session => _channel.Established.IsCompletedSuccessfully ? _channel.Established.Result : null;

    /// <inheritdoc/>
    public async ValueTask<LocalMessageId> SendAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var byteCount = StrictUtf8.GetByteCount(text);
        if (byteCount > MaxTextBytes)
            throw new ArgumentException($"A message can hold at most {MaxTextBytes} bytes of UTF-8 text; this one has {byteCount}.", nameof(text));
        await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

        // The id is taken and MessageSent recorded under the events' lock, like the end's MessageUndelivered: every
        // message the events show as sent is then also shown as delivered or undelivered, never neither.
        LocalMessageId id = default;
        string? notSent = null;
        var open = _events.Add(() =>
        {
            lock (_gate)
            {
                if (_state is ChatSessionState.Ended)
                    notSent = "The session has ended.";
                else if (_state is ChatSessionState.Finishing or ChatSessionState.BothFinished or ChatSessionState.Closing)
                    notSent = "This side has already finished sending.";
                else
                {
                    id = new LocalMessageId(++_lastSentId);
                    _unacknowledged.Add(id.Value);
                }
            }
            return notSent is null ? new MessageSent(id, text) : null;
        });
        if (!open || notSent is not null)
            throw new InvalidOperationException(notSent ?? "The session has ended.");

        var body = ArrayPool<byte>.Shared.Rent(Math.Max(1, byteCount));
        try
        {
            StrictUtf8.GetBytes(text, body);
            await SendEnvelopeAsync(new EnvelopeHeader(EnvelopeKind.Text, id.Value, Now), body.AsMemory(0, byteCount), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
        return id;
    }

    /// <inheritdoc/>
    public async Task<bool> FinishAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChatFailedException)
        {
            return false;
        }

        bool finishedNow;
        lock (_gate)
        {
            if (_state is ChatSessionState.Ended)
                return _unacknowledged.Count == 0;
            finishedNow = TryMove(Trigger.LocalFinished);
        }

        if (!finishedNow)
        {
            // Finished twice: the first call tells the peer and closes; this one waits for the same end.
            await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
                return _unacknowledged.Count == 0;
        }

        await TrySendAsync(EnvelopeKind.Finished, 0, "").ConfigureAwait(false);
        await _closingOrEnded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_completion.Task.IsCompleted)
        {
            // Both sides are done: half-close, then wait (bounded) for the peer's own close.
            await CompleteSendingAsync().ConfigureAwait(false);
            var closeTimeout = Observable.Timer(_options.CloseTimeout, _options.Scheduler).ToTask(cancellationToken);
            var closed = await Task.WhenAny(_completion.Task, closeTimeout).ConfigureAwait(false);
            if (closed != _completion.Task)
                Terminate(UserSentences.PeerDidNotClose, clean: false);
        }

        lock (_gate)
            return _unacknowledged.Count == 0;
    }

    /// <inheritdoc/>
    public async ValueTask CloseAsync(string reason = "closed by the user", CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state is ChatSessionState.Ended)
                return;
        }
        if (Session is not null)
        {
            try
            {
                await TrySendCloseAsync(CloseReason.Orderly, reason).WaitAsync(cancellationToken).ConfigureAwait(false);
                await CompleteSendingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller stopped waiting: end now, the Close may not have left.
            }
        }
        Terminate(UserSentences.ClosedHere(reason), clean: true);
    }

    /// <summary>
    /// Ends the session at once, with no Close envelope and no wait for acknowledgements: completes sending, disposes
    /// the channel and returns when that is done.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Terminate(UserSentences.ClosedHere("closed"), clean: true);
        await _disposal.ConfigureAwait(false);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private bool PeerHasFinished => _state is ChatSessionState.PeerFinished or ChatSessionState.BothFinished or ChatSessionState.Closing;

    private enum Trigger
    {
        PeerAccepted,
        PeerRefused,
        LocalFinished,
        PeerFinished,
        Acknowledged,
        End,
    }

    /// <summary>The one place the state changes (call under <see cref="_gate"/>); false when <paramref name="trigger"/> does not apply in this state.</summary>
    private bool TryMove(Trigger trigger)
    {
        var allAcknowledged = _unacknowledged.Count == 0;
        ChatSessionState? next = (_state, trigger) switch
        {
            (ChatSessionState.Ended, _) => null,
            (_, Trigger.End) => ChatSessionState.Ended,
            (ChatSessionState.Handshaking, Trigger.PeerAccepted) => ChatSessionState.Connected,
            (ChatSessionState.Handshaking, Trigger.PeerRefused) => ChatSessionState.Refusing,
            (ChatSessionState.Connected, Trigger.LocalFinished) => ChatSessionState.Finishing,
            (ChatSessionState.Connected, Trigger.PeerFinished) => ChatSessionState.PeerFinished,
            (ChatSessionState.Finishing, Trigger.PeerFinished) or (ChatSessionState.PeerFinished, Trigger.LocalFinished) =>
                allAcknowledged ? ChatSessionState.Closing : ChatSessionState.BothFinished,
            (ChatSessionState.BothFinished, Trigger.Acknowledged) when allAcknowledged => ChatSessionState.Closing,
            _ => null,
        };
        if (next is not { } state)
            return false;

        _state = state;
        if (state is ChatSessionState.Closing or ChatSessionState.Ended)
            _closingOrEnded.TrySetResult();
        return true;
    }

    /// <summary>
    /// Checks the peer once, by the name its handshake carried, when the session is established; then handles the
    /// envelopes that arrived meanwhile, in order (the initiator's first text can follow its last handshake message at
    /// once), and the end of the stream if it came too, in the order they arrived. No lock is held while the verifier
    /// runs: it may call back into the channel.
    /// </summary>
    private void Introduce()
    {
        var session = Session;
        if (session is null)
            return;
        lock (_gate)
            _peerSaysHello = session.PeerGreeting.Supports(AcceptedHello);
        try
        {
            if (_options.PairingCode is { } code)
                StartPairing(session, code);
            else
                OnPeerHello(session.PeerGreeting.DisplayName);
        }
        catch (Exception e)
        {
            // A verifier that throws (a pin file that cannot be read or written) refuses the peer: this side cannot
            // record who it is. Both sides learn it at once, instead of one of them showing a session that never moves.
            RefuseBecauseTheCheckFailed(e);
        }
        while (true)
        {
            Action[] early;
            lock (_introduction)
            {
                if (_early.Count == 0)
                {
                    _introduced = true;
                    return;
                }
                early = [.. _early];
                _early.Clear();
            }
            foreach (var step in early)
                RunStep(step);
        }
    }

    /// <summary>
    /// Sends this side's J-PAKE round 1; the peer's rounds arrive as <see cref="EnvelopeKind.Pairing"/> envelopes
    /// (<see cref="OnPairingStep"/>). Without identity keys (rsa, pseudo) there is nothing to pair: refused at once.
    /// </summary>
    private void StartPairing(SecureSession session, Security.Pairing.PairingCode code)
    {
        if (session.LocalStaticKey.IsEmpty || session.RemoteStaticKey.IsEmpty || session.HandshakeHash.IsEmpty)
        {
            RefuseBecausePairingFailed(UserSentences.CodeNeedsNoise);
            return;
        }
        _pairing = new Security.Pairing.CodePairing(code, session.LocalStaticKey.Span, session.RemoteStaticKey.Span, session.HandshakeHash.Span);
        _ = TrySendAsync(EnvelopeKind.Pairing, 0, _pairing.Start());
    }

    /// <summary>One pairing step from the peer: answer it, and once the confirmation checks, let the verifier pin the peer.</summary>
    private void OnPairingStep(ReadOnlySpan<byte> step)
    {
        var session = Session;
        if (_pairing is null || session is null)
            return;
        Security.Pairing.PairingProgress progress;
        byte[]? reply;
        try
        {
            progress = _pairing.Receive(step, out reply);
        }
        catch (InvalidDataException)
        {
            // A proof made for another identity (a man in the middle relaying between two sessions) or a broken message:
            // either way the code is not confirmed, and the users hear the same sentence as for a wrong code.
            RefuseBecausePairingFailed(UserSentences.CodeDidNotMatch);
            return;
        }
        if (reply is not null)
            _ = TrySendAsync(EnvelopeKind.Pairing, 0, reply);
        if (progress == Security.Pairing.PairingProgress.Confirmed)
        {
            lock (_gate)
                _pairingConfirmed = true;
            OnPeerHello(session.PeerGreeting.DisplayName, pairedByCode: true);
        }
        else if (progress == Security.Pairing.PairingProgress.Mismatch)
            RefuseBecausePairingFailed(UserSentences.CodeDidNotMatch);
    }

    private void RefuseBecausePairingFailed(string sentence)
    {
        lock (_gate)
        {
            if (!TryMove(Trigger.PeerRefused))
                return;
            _refusal = sentence;
        }
        _ = RefuseAsync(sentence, sentence);
    }

    /// <summary>Tells the peer why it is refused before ending the session.</summary>
    private async Task RefuseAsync(string explanation, string toThePeer = UserSentences.IdentityRefused, CloseReason reason = CloseReason.NotTrusted)
    {
        await TrySendCloseAsync(reason, toThePeer).ConfigureAwait(false);
        await CompleteSendingAsync().ConfigureAwait(false);
        Fail(explanation);
    }

    private void RefuseBecauseTheCheckFailed(Exception error)
    {
        lock (_gate)
        {
            if (!TryMove(Trigger.PeerRefused))
                return;
            _refusal = UserSentences.PeerCheckFailed(error);
            _failureCause = new PeerCheckFailedException(error);
        }
        _ = RefuseAsync(_refusal, UserSentences.PeerCouldNotBeRecorded);
    }

    /// <summary>
    /// Ends the session after handling the peer's envelope threw: whatever went wrong, the session ends with a reason
    /// and the peer hears of it, instead of the exception escaping into the connection's read loop (which would end the
    /// connection while the session went on waiting).
    /// </summary>
    private void FailAfterAnUnexpectedError(Exception error)
    {
        if (error is InvalidDataException)
        {
            _ = FailTellingThePeerAsync(UserSentences.SessionFailed(error));
            return;
        }
        _ = FailTellingThePeerAsync(UserSentences.SessionFailed(error), CloseReason.GoingAway, UserSentences.FailedHandlingAMessage);
    }

    /// <summary>Tells the peer that it broke the protocol (the sending direction still works), then ends the session.</summary>
    private async Task FailTellingThePeerAsync(string explanation, CloseReason reason = CloseReason.ProtocolError, string? toThePeer = null)
    {
        if (Session is not null)
            await TrySendCloseAsync(reason, toThePeer ?? explanation).ConfigureAwait(false);
        Fail(explanation);
    }

    // The initiator's first text can arrive right behind its last handshake message, before the peer is introduced:
    // it waits for the introduction, and so does the end of the stream, so that a peer that spoke and left is still
    // connected first (an envelope before the handshake completed is handled, and refused, at once).
    private void OnEnvelope(InboundEnvelope envelope) => AfterIntroduction(() => Handle(envelope));

    private void OnFailed(Exception error) => AfterIntroduction(() => HandleFailure(error));

    private void OnClosedByPeer() => AfterIntroduction(HandleEndOfStream);

    private void AfterIntroduction(Action step)
    {
        if (Session is not null)
        {
            lock (_introduction)
            {
                if (!_introduced)
                {
                    _early.Add(step);
                    return;
                }
            }
        }
        RunStep(step);
    }

    private void RunStep(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e)
        {
            FailAfterAnUnexpectedError(e);
        }
    }

    private void Handle(InboundEnvelope envelope)
    {
        ChatSessionState state;
        lock (_gate)
            state = _state;
        if (state is ChatSessionState.Refusing or ChatSessionState.Ended)
            return;

        var introduced = state is not ChatSessionState.Handshaking;
        switch (envelope.Header.Kind)
        {
            case EnvelopeKind.Pairing when !introduced && _pairing is not null:
                OnPairingStep(envelope.Raw);
                break;
            case EnvelopeKind.Pairing when _options.PairingCode is null:
                _ = FailTellingThePeerAsync(UserSentences.PeerWantsACode, CloseReason.NotTrusted);
                break;
            case EnvelopeKind.Text when introduced:
                Emit(new MessageReceived(_peerName!, new PeerMessageId(envelope.Header.Id),
                    DateTimeOffset.FromUnixTimeMilliseconds(envelope.Header.TimestampUnixMilliseconds), envelope.Body));
                _ = TrySendAsync(EnvelopeKind.Ack, envelope.Header.Id, "");
                break;
            case EnvelopeKind.Ack:
                // Under the events' lock: the session cannot end between this message counting as delivered and the
                // event that says so (the end reports every message still unacknowledged as undelivered).
                var acknowledged = new LocalMessageId(envelope.Header.Id);
                _events.Add(() =>
                {
                    lock (_gate)
                    {
                        var delivered = _unacknowledged.Remove(acknowledged.Value);
                        TryMove(Trigger.Acknowledged);
                        return delivered ? new Delivered(acknowledged) : null;
                    }
                });
                break;
            case EnvelopeKind.Finished when introduced:
                bool first;
                lock (_gate)
                    first = TryMove(Trigger.PeerFinished);
                if (first)
                    Emit(new PeerFinished(_peerName!));
                break;
            case EnvelopeKind.Hello when _peerSaysHello:
                OnAcceptedByPeer();
                break;
            case EnvelopeKind.Deciding when !introduced:
                _deciding.TrySetResult(true);
                break;
            case EnvelopeKind.Close:
                var close = envelope.Close!.Value;
                Terminate(UserSentences.PeerClosed(close), clean: close.IsClean);
                break;
            case EnvelopeKind.Text or EnvelopeKind.Finished:
                Fail(UserSentences.PeerSpokeBeforeHello);
                break;
            default:
                break; // A protocol-1 hello, or a kind from a newer version: ignored, so versions can add kinds.
        }
    }

    private void OnPeerHello(string name, bool pairedByCode = false)
    {
        var session = Session;
        if (session is null)
            return;
        var check = pairedByCode ? _options.PeerVerifier.CheckPairedByCode(name, session) : _options.PeerVerifier.Check(name, session);
        if (!check.Accepted && check.RefusalReason == CloseReason.KeyChanged && _options.KeyChangeQuestion is { } question)
        {
            _ = AskAboutTheKeyAsync(name, check, question);
            return;
        }
        Decide(name, check, session);
    }

    /// <summary>
    /// The peer's key changed and this side's user is asked: the peer is told to wait (a <see cref="EnvelopeKind.Deciding"/>
    /// envelope), and the answer (bounded by <see cref="ChatSessionOptions.KeyChangeAnswerTimeout"/>) accepts or refuses it.
    /// </summary>
    private async Task AskAboutTheKeyAsync(string name, PeerDecision refusal, Func<PeerDecision, CancellationToken, Task<PeerDecision?>> question)
    {
        var session = Session!;
        PeerDecision? answer = null;
        using var stop = new CancellationTokenSource();
        // The bound runs from the moment the peer is told to wait.
        var limit = Observable.Timer(_options.KeyChangeAnswerTimeout, _options.Scheduler).ToTask(stop.Token);
        _deciding.TrySetResult(false);
        await TrySendAsync(EnvelopeKind.Deciding, 0, [(byte)CloseReason.KeyChanged]).ConfigureAwait(false);
        try
        {
            var asking = question(refusal, stop.Token);
            if (await Task.WhenAny(asking, limit, _completion.Task).ConfigureAwait(false) == asking)
                answer = await asking.ConfigureAwait(false);
            else if (!_completion.Task.IsCompleted)
                refusal = refusal with { Explanation = UserSentences.KeyChangeNotAnswered(name, _options.KeyChangeAnswerTimeout) };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A question that failed is a "no": the key stays refused.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
        try
        {
            Decide(name, answer is { Accepted: true } ? answer : refusal, session);
        }
        catch (Exception e)
        {
            FailAfterAnUnexpectedError(e);
        }
    }

    /// <summary>Acts on the decision about the peer: refuses it (telling it why), or accepts it and says Hello.</summary>
    private void Decide(string name, PeerDecision check, SecureSession session)
    {
        if (!check.Accepted)
        {
            lock (_gate)
            {
                if (!TryMove(Trigger.PeerRefused))
                    return;
                _refusal = check.Explanation ?? UserSentences.PeerRefused(name);
            }
            // A key change says so, and the peer's side explains what to do (UserSentences.PeerClosed); other refusals say "refused".
            _ = check.RefusalReason == CloseReason.KeyChanged
                ? RefuseAsync(_refusal, "", CloseReason.KeyChanged)
                : RefuseAsync(_refusal, UserSentences.IdentityRefused, check.RefusalReason);
            return;
        }

        // A known key is shown by the name the user pinned it under, not by the name the peer gives now.
        var peerName = check.ContactName ?? name;
        var connected = new Connected(peerName, _channel.Transport, _channel.Path, session.Module,
            session.IsConfidential, check.Fingerprint, _channel.RemoteEndPoint, check.Contact, session.RemoteStaticKey)
        {
            IsPostQuantum = session.IsPostQuantum,
            Cipher = session.ProtocolName,
        };
        bool now;
        lock (_gate)
        {
            if (_state is not ChatSessionState.Handshaking || _accepted is not null)
                return;
            _peerName = peerName;
            _accepted = (connected, check.Explanation);
            // A peer that says Hello once it accepted this side is connected when its Hello is here; one that does not
            // (an older build) at once.
            now = !_peerSaysHello || _peerHelloArrived;
            if (now && !TryMove(Trigger.PeerAccepted))
                return;
        }
        if (now)
            Announce(connected, check.Explanation);
        // Our Hello goes before anything else this side sends (SendAsync and FinishAsync wait for the connection); sent
        // to every peer, since a peer that waits for it may have announced so where this side's greeting did not
        // (a greeting made by hand), and one that does not know it ignores it.
        _ = TrySendAsync(EnvelopeKind.Hello, 0, "");
        if (now)
            _connected.TrySetResult(connected);
    }

    /// <summary>The peer's Hello: it has accepted this side. Connected once this side has accepted it too.</summary>
    private void OnAcceptedByPeer()
    {
        (Connected Connected, string? Notice) accepted;
        lock (_gate)
        {
            if (!_peerSaysHello || _peerHelloArrived)
                return;
            _peerHelloArrived = true;
            if (_accepted is not { } decided || !TryMove(Trigger.PeerAccepted))
                return;
            accepted = decided;
        }
        Announce(accepted.Connected, accepted.Notice);
        _connected.TrySetResult(accepted.Connected);
    }

    private void Announce(Connected connected, string? notice)
    {
        Emit(connected);
        if (notice is not null)
            Emit(new ChatError(notice));
        lock (_paths)
        {
            foreach (var change in _pathChangesBeforeConnected ?? [])
                Emit(change);
            _pathChangesBeforeConnected = null;
        }
    }

    /// <summary>
    /// A move of the session's path. Before <see cref="Chat.Connected"/> is announced (the path may move while the peers
    /// still introduce themselves) it is held and follows that event, whose path is the one of the decision: the events
    /// then tell the moves in the order they happened, after the session they belong to. Never announced: never shown.
    /// </summary>
    private void EmitPathChange(PathChanged change)
    {
        lock (_paths)
        {
            if (_pathChangesBeforeConnected is { } held)
            {
                held.Add(change);
                return;
            }
            Emit(change);
        }
    }

    // Once this side refuses the peer, that refusal is why the session ends, whatever the connection does next. A peer
    // that sent something invalid is told so (over TCP it would otherwise see only the connection close).
    private void HandleFailure(Exception error)
    {
        if (_refusal is null && error is InvalidDataException or AuthenticationFailedException)
            _ = FailTellingThePeerAsync(UserSentences.SessionFailed(error));
        else
            Fail(_refusal ?? UserSentences.SessionFailed(error));
    }

    private void HandleEndOfStream()
    {
        if (_refusal is not null)
        {
            Fail(_refusal);
            return;
        }
        bool peerFinished;
        int pending;
        lock (_gate)
        {
            pending = _unacknowledged.Count;
            peerFinished = PeerHasFinished;
        }
        if (peerFinished && pending == 0)
            Terminate(UserSentences.PeerFinishedAndClosed, clean: true);
        else if (peerFinished)
            Terminate(UserSentences.PeerClosedBeforeAcknowledging(pending), clean: false);
        else
            Terminate(UserSentences.PeerClosedConnection, clean: false);
    }

    private Task TrySendAsync(EnvelopeKind kind, ulong id, string body) => TrySendAsync(kind, id, StrictUtf8.GetBytes(body));

    private Task TrySendCloseAsync(CloseReason reason, string text) =>
        TrySendAsync(EnvelopeKind.Close, 0, new CloseBody(reason, text).Encode());

    private async Task TrySendAsync(EnvelopeKind kind, ulong id, byte[] body)
    {
        try
        {
            await SendEnvelopeAsync(new EnvelopeHeader(kind, id, Now), body, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // A peer that closed with a reason (its Close, then its end of the connection) has usually said why before this
            // write met the closed connection, and the Close may still be waiting to be read: that reason is the one to
            // report. The receiving side ends the session first when it can; the write's error ends it otherwise.
            var reason = UserSentences.LostWhileSending(e);
            Observable.Timer(SendFailureGrace, _options.Scheduler).Subscribe(_ => Fail(reason));
        }
    }

    /// <summary>Encodes one envelope and hands it to the channel, which seals it.</summary>
    private async Task SendEnvelopeAsync(EnvelopeHeader header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state is ChatSessionState.Ended)
                throw new InvalidOperationException("The session has ended.");
        }
        var length = EnvelopeCodec.GetEncodedLength(body.Length);
        var plaintext = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            EnvelopeCodec.Encode(header, body.Span, plaintext);
            await _channel.SendAsync(plaintext.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    private async Task CompleteSendingAsync()
    {
        try
        {
            await _channel.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The peer is gone already; the inbound side reports how.
        }
    }

    private void Fail(string reason) => Terminate(reason, clean: false);

    /// <summary>Ends the session once: reports why, releases everything, and disposes the connection off this thread.</summary>
    private void Terminate(string reason, bool clean)
    {
        lock (_gate)
        {
            if (!TryMove(Trigger.End))
                return;
        }

        Exception? cause;
        lock (_gate)
        {
            // A pairing that got as far as this side's confirmation and did not confirm spent the code's one guess,
            // however it ended (a mismatch, or a peer that read the confirmation and left): a listener stops using it.
            cause = _failureCause ?? (_pairing is { HasMadeConfirmation: true } && !_pairingConfirmed ? new CodeGuessSpentException() : null);
        }
        _connected.TrySetException(cause is null ? new ChatFailedException(reason) : new ChatFailedException(reason, cause));
        _events.End(() =>
        {
            ulong[] unacknowledged;
            lock (_gate)
                unacknowledged = [.. _unacknowledged.Order()];
            return [.. unacknowledged.Select(id => new MessageUndelivered(new LocalMessageId(id), reason)), new Disconnected(reason, clean)];
        });
        _disposal = Task.Run(async () =>
        {
            // Tell the peer this side is done (a datagram channel has no socket close to say it for us), and
            // keep reading while the channel closes: a datagram channel needs the peer's acknowledgements of
            // that close, and answers the peer's retransmissions, until it is disposed.
            await CompleteSendingAsync().ConfigureAwait(false);
            await _channel.DisposeAsync().ConfigureAwait(false);
            _subscription?.Dispose();
        });
        _completion.TrySetResult();
    }

    private void Emit(ChatEvent chatEvent) => _events.Add(chatEvent);

    /// <summary>An envelope copied out of its pooled plaintext, with its body as text (a close's reason decoded).</summary>
    private readonly record struct InboundEnvelope(EnvelopeHeader Header, string Body, CloseBody? Close = null, byte[]? Binary = null)
    {
        // DateTimeOffset.MinValue and MaxValue in Unix milliseconds (years 1 and 9999).
        private const long MinTimestamp = -62_135_596_800_000;
        private const long MaxTimestamp = 253_402_300_799_999;

        public byte[] Raw => Binary ?? [];

        public static InboundEnvelope Read(ReadOnlySequence<byte> plaintext)
        {
            if (!EnvelopeCodec.TryDecode(plaintext, out var header, out var body))
                throw new InvalidDataException("a message was shorter than its header");
            // Timestamps are only shown, but one that no date can hold (long.MaxValue) is not a timestamp.
            if (header.TimestampUnixMilliseconds is < MinTimestamp or > MaxTimestamp)
                throw new InvalidDataException("a message's timestamp was outside the years 1 to 9999");
            try
            {
                if (header.Kind == EnvelopeKind.Pairing)
                {
                    if (body.Length > Security.Pairing.CodePairing.MaxMessageLength)
                        throw new InvalidDataException($"a pairing message was {body.Length} bytes, more than {Security.Pairing.CodePairing.MaxMessageLength}");
                    return new InboundEnvelope(header, "", Binary: body.ToArray());
                }
                if (header.Kind == EnvelopeKind.Close)
                {
                    var close = CloseBody.Decode(body.ToArray());
                    return new InboundEnvelope(header, close.Text, close);
                }
                return new InboundEnvelope(header, StrictUtf8.GetString(body));
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException("a message was not valid UTF-8 text");
            }
        }
    }
}

/// <summary>
/// Why a session failed when checking the peer threw (the pin file cannot be read or written): a problem of this side,
/// which no other peer would fare better with. The inner exception is the verifier's.
/// </summary>
internal sealed class PeerCheckFailedException(Exception error) : Exception(error.Message, error);

/// <summary>Why a session with a code failed after its confirmation was made: the code's one guess is spent.</summary>
internal sealed class CodeGuessSpentException() : Exception("the code pairing did not confirm after its confirmation was sent");
