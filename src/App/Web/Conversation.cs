using System.Globalization;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;

namespace SecretChat.Web;

/// <summary>
/// One conversation of a page: opens a session through the connector (p2p, connect or listen), forwards its events
/// to the page and carries out the page's commands (send, Verify, Trust, close). No chat logic of its own: the chat
/// library does the work, as it does for the console.
/// </summary>
internal sealed class Conversation : IAsyncDisposable
{
    private readonly int _id;
    private readonly ConversationRequest _request;
    private readonly UiOptions _options;
    private readonly PageSession _page;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task _running = Task.CompletedTask;
    private IChat? _chat;
    private IChatListener? _listener;
    private IDisposable? _subscription;
    private Connected? _connected;
    private PeerKeyChangedException? _keyChanged;
    private Contacts? _contacts;

    // An acknowledgement can overtake SendAsync's return: the page hears "sent" first, then "delivered", always.
    private readonly HashSet<LocalMessageId> _reportedSent = [];
    private readonly HashSet<LocalMessageId> _deliveredEarly = [];

    public Conversation(int id, ConversationRequest request, UiOptions options, PageSession page)
    {
        _id = id;
        _request = request;
        _options = options;
        _page = page;
    }

    public void Start() => _running = RunAsync(_request);

    private async Task RunAsync(ConversationRequest request)
    {
        var cancellationToken = _stop.Token;
        ChatOptions chatOptions;
        try
        {
            chatOptions = _options.ToChatOptions(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Post(new PageEvent.Said("failed", _id, e.Message));
            return;
        }

        _contacts = new Contacts(KnownPeersLocation.Resolve(chatOptions));
        var progress = new ProgressLine(text => Post(new PageEvent.Said("progress", _id, text)));
        try
        {
            IChat chat;
            if (request.Listen)
            {
                _listener ??= await _options.Connector.ListenAsync(chatOptions, cancellationToken).ConfigureAwait(false);
                Post(new PageEvent.Listening(_id, _listener.LocalEndPoint.ToString()));
                using var rejections = _listener.Rejections.Subscribe(reason => Post(new PageEvent.Said("notice", _id, $"Rejected a peer: {reason}")));
                chat = await _listener.AcceptAsync(progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                chat = await _options.Connector.ConnectAsync(chatOptions, progress, cancellationToken).ConfigureAwait(false);
            }

            lock (_lock)
                _chat = chat;
            _subscription = chat.Events.Subscribe(OnEvent, e => Post(new PageEvent.Said("error", _id, e.Message)));
            await chat.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PeerKeyChangedException changed)
        {
            _keyChanged = changed;
            Post(new PageEvent.KeyChanged(_id, changed.PeerName, changed.Message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // ChatFailedException carries one sentence for the user; anything else is said as plainly as it comes.
            Post(new PageEvent.Said("failed", _id, e.Message));
        }
    }

    private void OnEvent(ChatEvent chatEvent)
    {
        switch (chatEvent)
        {
            case Connected connected:
                _connected = connected;
                var capabilities = connected.Encryption.Capabilities;
                Post(new PageEvent.Connected(
                    _id,
                    Peer: connected.Peer,
                    Transport: PathText.Name(connected.Transport),
                    Path: PathText.Name(connected.Path),
                    Encryption: connected.Encryption.Id,
                    Security: _options.DescribeSecurity(connected.Encryption),
                    Confidential: connected.IsConfidential,
                    Authenticated: capabilities.HasFlag(SecurityCapabilities.AuthenticatesPeer),
                    SafetyNumber: connected.Fingerprint,
                    Status: connected.Fingerprint is null ? null : Contacts.StatusOf(connected),
                    Remote: connected.RemoteEndPoint?.ToString(),
                    RoundTripMs: RoundTripMs(_chat?.ReportPath()),
                    At: connected.At));
                break;
            case MessageReceived message:
                Post(new PageEvent.Message(_id, message.Id.Value, message.From, message.SentAt, message.At, message.Text));
                break;
            case Delivered delivered:
                lock (_lock)
                {
                    if (!_reportedSent.Remove(delivered.Id))
                    {
                        _deliveredEarly.Add(delivered.Id);
                        break;
                    }
                    Post(new PageEvent.Delivered(_id, delivered.Id.Value));
                }
                break;
            case PeerFinished finished:
                Post(new PageEvent.Said("notice", _id, $"{finished.Peer} has finished sending (they still receive)."));
                break;
            case PathChanged moved:
                Post(new PageEvent.PathReport(_id, PathText.Name(moved.Path), PathText.Reason(moved.Reason), moved.Remote?.ToString(), RoundTripMs(moved.Details)));
                break;
            case Disconnected disconnected:
                Post(new PageEvent.Disconnected(_id, disconnected.Reason, disconnected.Clean));
                break;
            case ChatError error:
                Post(new PageEvent.Said("error", _id, error.Message));
                break;
        }
    }

    public async Task SendAsync(string text)
    {
        IChat? chat;
        lock (_lock)
            chat = _chat;
        if (chat is null)
        {
            Post(new PageEvent.Said("error", _id, "Not connected yet: the message was not sent."));
            return;
        }
        try
        {
            var id = await chat.SendAsync(text, _stop.Token).ConfigureAwait(false);
            lock (_lock)
            {
                Post(new PageEvent.Sent(_id, id.Value, text, DateTimeOffset.UtcNow));
                if (_deliveredEarly.Remove(id))
                    Post(new PageEvent.Delivered(_id, id.Value));
                else
                    _reportedSent.Add(id);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or OperationCanceledException or ChatFailedException)
        {
            Post(new PageEvent.Said("error", _id, $"Not sent: {e.Message}"));
        }
    }

    public void Verify()
    {
        if (_connected is not { Fingerprint: not null } connected || _contacts is null)
        {
            Post(new PageEvent.Said("error", _id, "Only noise sessions have a safety number to verify."));
            return;
        }
        if (_contacts.MarkVerified(connected) is { } problem)
            Post(new PageEvent.Said("error", _id, problem));
        else
            Post(new PageEvent.Verified(_id, connected.Peer));
    }

    public void Trust()
    {
        if (_keyChanged is not { } changed || !_running.IsCompleted)
        {
            Post(new PageEvent.Said("error", _id, "There is no changed key to accept."));
            return;
        }
        if (new Contacts(changed.KnownPeersPath).Trust(changed.PeerName, changed.PresentedKey) is { } problem)
        {
            Post(new PageEvent.Said("error", _id, problem));
            return;
        }
        _keyChanged = null;
        Post(new PageEvent.Said("notice", _id, $"The new key of {changed.PeerName} is pinned (not verified: compare the safety number again, then Verify). Reconnecting."));
        _running = RunAsync(_request);
    }

    public void ReportPath()
    {
        if (_chat?.ReportPath() is { } report)
            Post(new PageEvent.PathReport(_id, PathText.Name(report.Path), null, report.Remote?.ToString(), RoundTripMs(report)));
    }

    public async Task CloseAsync()
    {
        IChat? chat;
        lock (_lock)
            chat = _chat;
        if (chat is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await chat.CloseAsync("closed by the user", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
            }
        }
        await DisposeAsync().ConfigureAwait(false);
        Post(new PageEvent.Closed(_id));
    }

    private static double? RoundTripMs(PathReport? report) =>
        report?.RoundTrip is { } rtt ? Math.Round(rtt.TotalMilliseconds, 1) : null;

    private void Post<T>(T message) where T : class => _page.Post(message);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // already told to the page
        }
        _subscription?.Dispose();
        if (_chat is { } chat) await chat.DisposeAsync().ConfigureAwait(false);
        if (_listener is { } listener) await listener.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Progress lines straight to the page, in order (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class ProgressLine(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
