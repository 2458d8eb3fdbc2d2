using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Channels;
using SecretChat.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Hands out one session per peer that completes its handshake and is accepted by the verifier; the others become
/// rejections. Build one over any frame listener (<see cref="Over"/>) or a UDP socket that serves many peers
/// (<see cref="Udp"/>), with any security module; or derive from it for a transport of your own.
/// </summary>
/// <remarks>
/// While someone waits in <see cref="AcceptAsync"/>, the listener accepts continuously and runs the handshakes side by
/// side, at most <see cref="ChatOptions.MaxPendingHandshakes"/> at once: a silent or dripping stranger never holds up
/// the next peer (each is bounded by the handshake timeout). A newcomer beyond that bound is told the listener is busy
/// (a Close with going-away, once its handshake completes) and dropped. Every peer that does not become a session is
/// a rejection (<see cref="Rejections"/>, <see cref="RejectionCount"/>).
/// </remarks>
/// <param name="security">The module and its verification; the listener disposes it when disposed.</param>
/// <param name="options">The session's name and timeouts.</param>
/// <param name="scheduler">The clock of every timer.</param>
public abstract class ChatListener(SecurityChoice security, ChatOptions options, IScheduler scheduler) : IChatListener
{
    // Rejected peers are reported from their handshake tasks, the accept loop and (UDP) the socket's thread at once:
    // synchronized, so that an observer is never entered twice at once (Rx's contract), nor completed during a call.
    private readonly ISubject<string> _rejections = Subject.Synchronize(new Subject<string>());
    private readonly Channel<IChat> _ready = Channel.CreateUnbounded<IChat>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _handshakes = [];
    private TaskCompletionSource _demand = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _accepting;
    private int _waiting;
    private int _inSession;
    private int _pending;
    private int _turningAway;
    private long _rejected;
    private bool _disposed;

    /// <summary>
    /// A chat listener over <paramref name="listener"/> (a <see cref="TcpFrameListener"/>, or a listener of your own
    /// transport): each accepted connection is secured by <paramref name="security"/> as the responder.
    /// </summary>
    /// <param name="listener">Hands out the connections; the chat listener owns and disposes it.</param>
    /// <param name="security">The module and its verification; the chat listener owns and disposes it.</param>
    /// <param name="options">The session's name and timeouts (<see cref="ChatOptions.EndPoint"/> is not used).</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    public static IChatListener Over(IFrameListener listener, SecurityChoice security, ChatOptions options, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(options);
        return new TcpChatListener(listener, security, options, scheduler ?? DefaultScheduler.Instance);
    }

    /// <summary>
    /// A chat listener on one UDP socket bound to <paramref name="endPoint"/>, running handshakes side by side like
    /// <see cref="Over"/> (each source proves its address with a cookie first); a peer whose handshake fails becomes a
    /// rejection, and a newcomer during a session is told the listener is busy.
    /// </summary>
    /// <param name="endPoint">Where to bind (port 0 picks a free one).</param>
    /// <param name="security">The module and its verification; the chat listener owns and disposes it.</param>
    /// <param name="options">The session's name, timeouts, keepalive and dead-peer settings.</param>
    /// <param name="scheduler">The clock of every timer (the default scheduler when null).</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound.</exception>
    public static IChatListener Udp(IPEndPoint endPoint, SecurityChoice security, ChatOptions options, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(options);
        return new UdpChatListener(endPoint, security, options, scheduler ?? DefaultScheduler.Instance);
    }

    /// <inheritdoc />
    public abstract EndPoint LocalEndPoint { get; }

    /// <inheritdoc />
    public IObservable<string> Rejections => _rejections.AsObservable();

    /// <summary>How many peers did not become a session so far: failed or refused handshakes, and newcomers turned away as busy.</summary>
    public long RejectionCount => Interlocked.Read(ref _rejected);

    /// <summary>
    /// How many handshakes are under way, plus sessions that completed and wait for <see cref="AcceptAsync"/>; at most
    /// <see cref="ChatOptions.MaxPendingHandshakes"/>.
    /// </summary>
    public int PendingHandshakes
    {
        get
        {
            lock (_gate)
                return _pending;
        }
    }

    /// <summary>The options every session gets.</summary>
    protected ChatOptions Options => options;

    /// <summary>The clock of every timer.</summary>
    protected IScheduler Scheduler => scheduler;

    /// <summary>
    /// Whether <see cref="NextChannelAsync"/> may be called again while channels it handed out are still in their
    /// handshake or in use (true unless a transport can feed only its newest channel). When false, peers are served
    /// one after another: the next channel is asked for only by the next <see cref="AcceptAsync"/>.
    /// </summary>
    protected virtual bool HandshakesConcurrently => true;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!HandshakesConcurrently)
            return await AcceptOneAfterAnotherAsync(progress, cancellationToken).ConfigureAwait(false);

        progress?.Report($"waiting for a peer on {LocalEndPoint}");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _waiting++;
            _demand.TrySetResult();
            _accepting ??= Task.Run(AcceptContinuouslyAsync);
        }
        try
        {
            var chat = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _pending--;
                _inSession++;
            }
            _ = chat.Completion.ContinueWith(
                _ => SessionEnded(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return chat;
        }
        catch (ChannelClosedException e) when (e.InnerException is null)
        {
            throw new ObjectDisposedException(GetType().Name);
        }
        catch (ChannelClosedException e)
        {
            // The accept loop failed (the transport could not accept any more): its error, as it would have come before.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                if (--_waiting == 0 && _inSession == 0 && !_disposed)
                    _demand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>
    /// A session handed out has ended: with nobody waiting in <see cref="AcceptAsync"/>, newcomers wait in the
    /// transport's backlog again (instead of being told this side is busy).
    /// </summary>
    private void SessionEnded()
    {
        lock (_gate)
        {
            if (--_inSession == 0 && _waiting == 0 && !_disposed)
                _demand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Stops listening, cancels the handshakes under way and closes sessions nobody took, then disposes the security choice; sessions already handed out stay open.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        Task[] handshakes;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _demand.TrySetResult();
            handshakes = [.. _handshakes, .. _accepting is null ? [] : new[] { _accepting }];
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        _ready.Writer.TryComplete();
        // The accept loop first (it may still start one more handshake), then every handshake it started.
        await WhenAllEndedAsync(handshakes).ConfigureAwait(false);
        lock (_gate)
            handshakes = [.. _handshakes];
        await WhenAllEndedAsync(handshakes).ConfigureAwait(false);
        while (_ready.Reader.TryRead(out var unclaimed))
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        _rejections.OnCompleted();
        security.Dispose();
        _closing.Dispose();
    }

    /// <summary>Reports a peer that did not become a session; the listener goes on.</summary>
    protected void Reject(EndPoint? from, string reason)
    {
        Interlocked.Increment(ref _rejected);
        _rejections.OnNext($"{from?.ToString() ?? "a peer"}: {reason}");
    }

    /// <summary>The next peer's channel, with its handshake under way.</summary>
    protected abstract Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken);

    private async Task<IChat> AcceptOneAfterAnotherAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            progress?.Report($"waiting for a peer on {LocalEndPoint}");
            var channel = await NextChannelAsync(security.Module, cancellationToken).ConfigureAwait(false);
            progress?.Report($"a peer is here; running the {security.Module.Info.Id} handshake");
            (progress as IProgress<ConnectPhase>)?.Report(ConnectPhase.Handshaking);
            try
            {
                return await ChatConnector.StartSessionAsync(channel, security, options, scheduler, cancellationToken, progress).ConfigureAwait(false);
            }
            catch (ChatFailedException e) when (e.InnerException is not (PeerCheckFailedException or CodeGuessSpentException))
            {
                Reject(channel.RemoteEndPoint, e.Message);
            }
        }
    }

    /// <summary>
    /// Accepts while someone waits in <see cref="AcceptAsync"/>, starting each peer's handshake beside the others;
    /// ends when the listener is disposed, or hands the transport's failure to the waiters.
    /// </summary>
    private async Task AcceptContinuouslyAsync()
    {
        var closing = _closing.Token;
        try
        {
            while (true)
            {
                Task demand;
                lock (_gate)
                    demand = _demand.Task;
                await demand.WaitAsync(closing).ConfigureAwait(false);
                closing.ThrowIfCancellationRequested();

                var channel = await NextChannelAsync(security.Module, closing).ConfigureAwait(false);
                bool full;
                bool inSession;
                lock (_gate)
                {
                    // Nobody is waiting for a peer but a session handed out is running: this side is busy with it.
                    inSession = _waiting == 0 && _inSession > 0;
                    full = !inSession && _pending >= options.MaxPendingHandshakes;
                    if (!full && !inSession)
                        _pending++;
                }
                Track(
                    inSession ? TurnAwayAsync(channel, UserSentences.ListenerInSession, UserSentences.NewcomerTurnedAway, closing)
                    : full ? TurnAwayAsync(channel, UserSentences.ListenerBusy(options.MaxPendingHandshakes), null, closing)
                    : HandshakeAsync(channel, closing));
            }
        }
        catch (Exception e) when (closing.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or ChatFailedException)
        {
            // Disposed: the handshakes under way are cancelled by the same token.
        }
        catch (Exception e)
        {
            _ready.Writer.TryComplete(e);
        }
    }

    private static async Task WhenAllEndedAsync(Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each handshake reports its own end as a rejection; the accept loop ends on the cancellation.
        }
    }

    private void Track(Task handshake)
    {
        lock (_gate)
            _handshakes.Add(handshake);
        handshake.ContinueWith(
            done =>
            {
                lock (_gate)
                    _handshakes.Remove(done);
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>One peer's handshake and introduction; an accepted peer waits for <see cref="AcceptAsync"/>, any other end is a rejection.</summary>
    private async Task HandshakeAsync(ISecureChannel channel, CancellationToken closing)
    {
        var from = channel.RemoteEndPoint;
        try
        {
            var chat = await ChatConnector.StartSessionAsync(channel, security, options, scheduler, closing).ConfigureAwait(false);
            if (_ready.Writer.TryWrite(chat))
                return;
            await chat.DisposeAsync().ConfigureAwait(false); // disposed meanwhile: nobody will take it
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Disposed: the session was disposed with its channel.
        }
        catch (ChatFailedException e) when (e.InnerException is PeerCheckFailedException or CodeGuessSpentException)
        {
            // A code's one guess was spent (wrong code, or a peer that read the confirmation and left): the code is
            // burned, so the listener ends with the reason instead of letting the next peer guess again.
            // This side cannot record any peer (its pin file cannot be written): the listener ends with the reason
            // at once instead of turning every peer away.
            _ready.Writer.TryComplete(new ChatFailedException(e.Message, e));
        }
        catch (Exception e) when (e is ChatFailedException or OperationCanceledException)
        {
            Reject(from, e.Message);
        }
        catch (Exception e)
        {
            // A stranger never takes the listener down: whatever went wrong is this peer's rejection.
            Reject(from, UserSentences.SessionFailed(e));
        }
        lock (_gate)
            _pending--;
    }

    /// <summary>
    /// A newcomer while <see cref="ChatOptions.MaxPendingHandshakes"/> are pending, or while a session handed out runs and
    /// nobody waits in <see cref="AcceptAsync"/>: told so in one sentence once its
    /// handshake completes (only a Close can be trusted by the peer), then dropped. Newcomers beyond as many again are
    /// dropped at once.
    /// </summary>
    /// <param name="channel">The newcomer's channel, its handshake under way.</param>
    /// <param name="busy">What the newcomer is told (a clause).</param>
    /// <param name="rejection">What this side's user is told (a clause); <paramref name="busy"/> when null.</param>
    /// <param name="closing">Cancelled when the listener is disposed.</param>
    private async Task TurnAwayAsync(ISecureChannel channel, string busy, string? rejection, CancellationToken closing)
    {
        Reject(channel.RemoteEndPoint, UserSentences.FromClause(rejection ?? busy));
        try
        {
            if (Interlocked.Increment(ref _turningAway) <= options.MaxPendingHandshakes)
                await ChatSession.TurnAwayAsync(channel, CloseReason.GoingAway, busy, closing).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The newcomer gave up or the handshake failed: it is dropped either way.
        }
        finally
        {
            Interlocked.Decrement(ref _turningAway);
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }
}
