using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>
/// The real stack behind <c>listen</c>, <c>connect</c> and <c>p2p</c>: a security module over TCP
/// (<see cref="TcpChatConnection"/>), UDP (<see cref="UdpChatConnection"/>) or a punched p2p path
/// (<see cref="PeerToPeerChatConnection"/>), and a <see cref="ChatSession"/> on top.
/// </summary>
/// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
/// <param name="resolver">What host names mean (the system's resolver when null).</param>
/// <param name="security">
/// Makes the security module and its verification for each connect or listen: any <see cref="ISecurityModule"/>
/// given in code. The connector disposes each choice once no handshake will start any more. Null picks the built-in
/// module that <see cref="ChatOptions.Encryption"/> names (<see cref="SecurityModules.Create"/>).
/// </param>
public sealed class ChatConnector(IScheduler? scheduler = null, IHostResolver? resolver = null, Func<ChatOptions, SecurityChoice>? security = null)
    : IChatConnector
{
    private readonly IScheduler _scheduler = scheduler ?? DefaultScheduler.Instance;
    private readonly IHostResolver _resolver = resolver ?? HostResolver.Default;
    private readonly Func<ChatOptions, SecurityChoice> _security = security ?? SecurityModules.Create;

    /// <inheritdoc />
    public async Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Transport == ChatTransport.PeerToPeer)
            return await ConnectPeerToPeerAsync(options, progress, cancellationToken).ConfigureAwait(false);
        var peer = ParseEndPoint(options);
        // The identity key is needed only until the handshake is done, which it is once the session is returned.
        using var security = _security(options);
        // p2p asks the verifier about each candidate's peer before it picks a path; the chat then gets the same answer.
        // With a code, nothing is pinned before the pairing confirms the peer.
        var verifier = new AdmittedPeers(options.PairingCode is null ? NewVerifier(security) : new PairingPeerVerifier(NewVerifier(security)));
        // The timeout bounds the whole connect (resolving, connecting, the handshake, checking the peer), not each of
        // them: every phase also keeps its own bound, which is never longer.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = new System.Reactive.Disposables.SerialDisposable { Disposable = _scheduler.Schedule(options.HandshakeTimeout, deadline.Cancel) };
        ISecureChannel? channel = null;
        var peerDeciding = false;
        try
        {
            channel = options.Transport == ChatTransport.Udp
                ? await UdpChatConnection.ConnectAsync(peer, security.Module, options, _scheduler, _resolver, progress, deadline.Token).ConfigureAwait(false)
                : await TcpChatConnection.ConnectAsync(peer, security.Module, options, _scheduler, _resolver, progress, deadline.Token).ConfigureAwait(false);
            // The peer's user is deciding about this side's key: the wait for that answer has its own bound.
            void Deciding()
            {
                peerDeciding = true;
                timer.Disposable = _scheduler.Schedule(options.KeyChangeAnswerTimeout, deadline.Cancel);
            }
            return await StartSessionAsync(channel, verifier.Verifier, options, _scheduler, deadline.Token, progress, Deciding).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ChatFailedException(peerDeciding ? UserSentences.KeyNotAcceptedInTime(options.KeyChangeAnswerTimeout) : channel is null
                ? UserSentences.NotConnectedInTime(peer.ToString(), options.HandshakeTimeout)
                : UserSentences.HandshakeNotAnsweredInTime(channel.RemoteEndPoint?.ToString() ?? peer.ToString(), options.HandshakeTimeout));
        }
    }

    /// <summary>p2p: meet the peer at the first signaling server of the list that answers (<see cref="SignalingServerList"/>).</summary>
    private async Task<IChat> ConnectPeerToPeerAsync(ChatOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!SignalingServerList.TryParse(options.EndPoint, out var servers, out var error))
            throw new ChatFailedException($"The signaling server is not valid: {error}.");
        using var security = _security(options);
        // Meeting the peer takes at least a round trip to the server, usually the other person's arrival: time enough to
        // compile the handshake before it is needed (its task is not awaited; a failure there would show in the real one).
        if (security.WarmUp is { } warmUp)
            _ = Task.Run(warmUp, CancellationToken.None);
        var verifier = new AdmittedPeers(options.PairingCode is null ? NewVerifier(security) : new PairingPeerVerifier(NewVerifier(security)));
        var meeting = await PeerToPeerChatConnection.ConnectAsync(servers, security.Module, verifier, options, _scheduler, _resolver, progress, cancellationToken).ConfigureAwait(false);
        return await StartSessionAsync(meeting, verifier, options, _scheduler, cancellationToken, progress).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Transport == ChatTransport.PeerToPeer)
            throw new ChatFailedException("Peer-to-peer sessions are not listened for: both peers run 'secretchat p2p --room NAME'.");
        // A code allows one guess: one pairing at a time, so that peers cannot guess side by side before one fails.
        if (options.PairingCode is not null)
            options = options with { MaxPendingHandshakes = 1 };
        var local = ParseEndPoint(options);
        var endPoint = new IPEndPoint(await ResolveAsync(_resolver, local, "listen on", cancellationToken).ConfigureAwait(false), local.Port);
        var security = _security(options);
        try
        {
            return options.Transport == ChatTransport.Tcp
                ? new TcpChatListener(TcpFrameListener.Start(endPoint), security, options, _scheduler)
                : new UdpChatListener(endPoint, security, options, _scheduler);
        }
        catch (TransportException e)
        {
            security.Dispose();
            throw new ChatFailedException(e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                ? UserSentences.PortInUse($"{Transport(options)} {endPoint}")
                : UserSentences.FromClause(e.Message), e);
        }
        catch (SocketException e)
        {
            security.Dispose();
            throw new ChatFailedException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? UserSentences.PortInUse($"{Transport(options)} {endPoint}")
                : $"Could not listen on {endPoint}: {e.Message}.", e);
        }
    }

    /// <summary>
    /// Runs the chat on <paramref name="channel"/> with a new verifier of <paramref name="security"/>. A verifier that
    /// cannot be made (its pin file cannot be read) refuses the peer like one that throws: the session ends at once
    /// with the reason, and the peer is told.
    /// </summary>
    internal static Task<IChat> StartSessionAsync(ISecureChannel channel, SecurityChoice security, ChatOptions options, IScheduler scheduler, CancellationToken cancellationToken, IProgress<string>? progress = null) =>
        StartSessionAsync(channel, NewVerifier(security), options, scheduler, cancellationToken, progress);

    /// <summary>A new verifier of <paramref name="security"/>, or one that refuses every peer with the reason it could not be made.</summary>
    private static IPeerVerifier NewVerifier(SecurityChoice security)
    {
        try
        {
            return security.NewVerifier();
        }
        catch (Exception e)
        {
            return new FailedVerifier(e);
        }
    }

    /// <summary>Runs the chat on <paramref name="channel"/> and returns once the peer is connected (disposing it otherwise).</summary>
    internal static async Task<IChat> StartSessionAsync(ISecureChannel channel, IPeerVerifier verifier, ChatOptions options, IScheduler scheduler, CancellationToken cancellationToken, IProgress<string>? progress = null, Action? peerDeciding = null)
    {
        if (options.PairingCode is not null && verifier is not (AdmittedPeers or PairingPeerVerifier))
            verifier = new PairingPeerVerifier(verifier);
        var builder = ChatBuilder.Over(channel)
            .VerifiedBy(verifier)
            .PairedWithCode(options.PairingCode)
            .Named(options.Name)
            .OnScheduler(scheduler);
        if (options.AskToTrustChangedKey is { } ask && verifier is PinnedPeerVerifier asked)
            builder = builder with { Options = builder.Options with { KeyChangeQuestion = (refusal, stop) => AskToTrustAsync(channel, asked, refusal, ask, stop), KeyChangeAnswerTimeout = options.KeyChangeAnswerTimeout } };
        else
            builder = builder with { Options = builder.Options with { KeyChangeAnswerTimeout = options.KeyChangeAnswerTimeout } };
        var chat = builder.Start();
        try
        {
            await IntroducedAsync(channel, chat, options, scheduler, cancellationToken, progress, peerDeciding).ConfigureAwait(false);
            return chat;
        }
        catch (ChatFailedException e) when (verifier is PinnedPeerVerifier { LastRefused: { } refused } pins && pins.KnownPeers.Check(refused.Name, refused.Key).Verdict != PeerVerdict.Match)
        {
            await chat.DisposeAsync().ConfigureAwait(false);
            throw KeyChanged(e.Message, channel, pins, refused);
        }
        catch
        {
            await chat.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A refused changed key, with both safety numbers where the session has static keys.</summary>
    private static PeerKeyChangedException KeyChanged(string message, ISecureChannel channel, PinnedPeerVerifier pins, (string Name, byte[] Key) refused)
    {
        var local = channel.Established.IsCompletedSuccessfully ? channel.Established.Result.LocalStaticKey : default;
        var pinned = pins.KnownPeers.Contacts.FirstOrDefault(c => c.Name.Value == refused.Name)?.Key;
        return new PeerKeyChangedException(message, refused.Name, refused.Key, pins.KnownPeers.FilePath)
        {
            PinnedSafetyNumber = local.IsEmpty || pinned is not { } key ? null : SafetyNumber.ForSession(local.Span, key.Span).ToString(),
            PresentedSafetyNumber = local.IsEmpty ? null : SafetyNumber.ForSession(local.Span, refused.Key).ToString(),
        };
    }

    /// <summary>
    /// The user is asked about a peer's changed key while the peer waits; yes re-pins that one peer's key (in the
    /// verifier's pins, which the next check reads) and accepts it as a replaced contact.
    /// </summary>
    private static async Task<PeerDecision?> AskToTrustAsync(ISecureChannel channel, PinnedPeerVerifier pins, PeerDecision refusal,
        Func<PeerKeyChangedException, CancellationToken, Task<bool>> ask, CancellationToken stop)
    {
        if (pins.LastRefused is not { } refused)
            return null;
        if (!await ask(KeyChanged(refusal.Explanation ?? UserSentences.PeerRefused(refused.Name), channel, pins, refused), stop).ConfigureAwait(false))
            return null;
        pins.KnownPeers.Replace(refused.Name, refused.Key);
        return PeerDecision.Accept(refusal.Fingerprint, $"The new key of '{refused.Name}' was accepted and pinned (/trust); it is not verified: compare safety numbers again, then /verify.")
            with { Contact = ContactStatus.Replaced, ContactName = refused.Name };
    }

    /// <summary>
    /// Waits for the peer to be connected: the handshake is bounded by the channel, and what follows it (the check of
    /// the peer) by the handshake timeout again, so that nothing after the handshake holds a listener's slot for ever;
    /// while a person decides about a changed key (this side's user, or the peer's, who said so), by
    /// <see cref="ChatOptions.KeyChangeAnswerTimeout"/> instead.
    /// </summary>
    private static async Task IntroducedAsync(ISecureChannel channel, ChatSession chat, ChatOptions options, IScheduler scheduler, CancellationToken cancellationToken, IProgress<string>? progress, Action? peerDeciding)
    {
        var connected = chat.Connected;
        await Task.WhenAny(connected, channel.Established).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (channel.Established.IsCompletedSuccessfully)
            (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Verifying);
        if (!connected.IsCompleted && channel.Established.IsCompletedSuccessfully)
        {
            using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var limit = Observable.Timer(options.HandshakeTimeout, scheduler).ToTask(stopTimer.Token);
            var first = await Task.WhenAny(connected, limit, chat.Deciding).ConfigureAwait(false);
            if (first == chat.Deciding)
            {
                var byThePeer = await chat.Deciding.ConfigureAwait(false);
                if (byThePeer)
                {
                    peerDeciding?.Invoke();
                    progress?.Report(UserSentences.WaitingForKeyAcceptance);
                }
                // This side's own question is bounded by the session, which refuses the peer when it runs out.
                var answer = Observable.Timer(options.KeyChangeAnswerTimeout + (byThePeer ? TimeSpan.Zero : options.HandshakeTimeout), scheduler).ToTask(stopTimer.Token);
                first = await Task.WhenAny(connected, answer).ConfigureAwait(false);
                if (first != connected && byThePeer)
                {
                    await stopTimer.CancelAsync().ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new ChatFailedException(UserSentences.KeyNotAcceptedInTime(options.KeyChangeAnswerTimeout));
                }
            }
            await stopTimer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first != connected)
                throw new ChatFailedException(UserSentences.PeerNotIntroduced(options.HandshakeTimeout));
        }
        await connected.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Transport(ChatOptions options) => options.Transport == ChatTransport.Tcp ? "tcp" : "udp";

    private static HostPort ParseEndPoint(ChatOptions options)
    {
        try
        {
            return HostPort.Parse(options.EndPoint);
        }
        catch (FormatException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
    }

    /// <summary>An IP address for <paramref name="endPoint"/>, preferring IPv4 (what NATs and most LANs route).</summary>
    internal static async Task<IPAddress> ResolveAsync(IHostResolver resolver, HostPort endPoint, string purpose, CancellationToken cancellationToken)
    {
        try
        {
            var addresses = await resolver.ResolveAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
            return HostResolver.PreferIPv4(addresses)
                ?? throw new ChatFailedException($"Could not resolve host '{endPoint.Host}' to an address to {purpose}.");
        }
        catch (SocketException e)
        {
            throw new ChatFailedException($"Could not resolve host '{endPoint.Host}' ({e.Message}).", e);
        }
    }
}

/// <summary>Stands in for a verifier that could not be made: checking any peer throws why.</summary>
internal sealed class FailedVerifier(Exception error) : IPeerVerifier
{
    public PeerDecision Check(string peerName, SecureSession session) =>
        throw new InvalidOperationException(error.Message, error);
}
