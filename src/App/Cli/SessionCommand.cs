using System.Reactive.Concurrency;
using System.Reactive.Linq;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Security;

namespace SecretChat.Cli;

/// <summary><c>listen</c> and <c>connect</c> once the command line and settings are merged: picks the interactor and runs it.</summary>
internal sealed class SessionCommand
{
    private readonly CliApp _app;
    private readonly AppSettings _settings;
    private readonly ChatOptions _options;
    private readonly bool _json;

    public SessionCommand(CliApp app, AppSettings settings, ChatOptions options, bool json)
    {
        _app = app;
        _settings = settings;
        _options = options;
        _json = json;
    }

    /// <summary>Turns a failure to connect into the command's own sentence (p2p: no signaling server configured); identity by default.</summary>
    public Func<ChatFailedException, ChatFailedException> ExplainFailure { get; init; } = static e => e;

    private IConsoleIO IO => _app.IO;

    private bool Scripted => _json || IO.IsInputRedirected;

    private string Transport => _options.Transport == ChatTransport.Tcp ? "tcp" : "udp";

    /// <summary>Where this side is going, for progress lines.</summary>
    private string Destination => _options.Transport != ChatTransport.PeerToPeer
        ? $"{_options.EndPoint} over {Transport}"
        : _options.PairingCode is { } code
            ? code.Nameplate is { } number
                ? $"code number {number} via the signaling server {_options.EndPoint}"
                : $"the signaling server {_options.EndPoint} for a code"
            : $"room '{_options.Room}' via the signaling server {_options.EndPoint}";

    /// <summary>
    /// The options with the code's announcement wired in: p2p shows the code once the server numbered it, then the wait
    /// for the other side on <paramref name="waiting"/>, which repeats it with the time waited.
    /// </summary>
    private ChatOptions Announcing(Action<string, string> show, IProgress<string> waiting) =>
        _options is { Transport: ChatTransport.PeerToPeer, PairingCode.Nameplate: null }
            ? _options with
            {
                CodeAllocated = code =>
                {
                    show(code.ToString(), CodeFlow.Announcement(code, $"secretchat p2p {code}").Instruction);
                    waiting.Report("waiting for the other side to enter the code"); // repeated with the time waited
                },
            }
            : _options;

    public async Task<int> ConnectAsync(CancellationToken cancellationToken)
    {
        var connector = _app.CreateConnector(_settings);
        var identity = IdentityNotice.Before(_options);
        if (Scripted)
        {
            var writer = CreateWriter();
            // The connector reports the phases it goes through (and p2p its steps in words); the first is said at once,
            // and once: the progress drops a phase reported twice in a row.
            var progress = new WriterProgress(writer);
            ((IProgress<ConnectPhase>)progress).Report(ConnectPhase.Connecting);
            IChat chat;
            try
            {
                // Connecting can be long (UDP to nobody, p2p waiting for the peer): status lines say for how long.
                using var waiting = WaitingProgress.ForScript(progress, DefaultScheduler.Instance);
                chat = await connector.ConnectAsync(Announcing(writer.Code, waiting), waiting, cancellationToken).ConfigureAwait(false);
            }
            catch (PeerKeyChangedException changed)
            {
                writer.KeyChanged(changed); // typed, with both safety numbers; the sentence goes to stderr as the failure
                throw;
            }
            catch (ChatFailedException ex) when (_json || ExplainFailure(ex) != ex)
            {
                var explained = ExplainFailure(ex);
                if (_json) writer.Error(explained.Message); // scripts reading stdout see why, too
                if (explained == ex) throw;
                throw explained;
            }
            finally
            {
                if (identity.Sentence() is { } created) writer.Status(created); // --json: a status event; plain scripts stay quiet
            }

            await using (chat.ConfigureAwait(false))
                return await ScriptedSession.RunAsync(chat, IO.In, writer, IO.Error, cancellationToken).ConfigureAwait(false);
        }

        var lines = new ConsoleLines(IO.In);
        var console = new InteractiveConsole(IO.Ansi, lines, Commands(), IO.Keys);
        if (ModeMarking.Warning(_options.Encryption) is { } warning)
            console.Screen.ShowMarkup(warning);
        while (true)
        {
            IChat session;
            try
            {
                session = await console.WithSpinnerAsync(
                    $"Connecting to {Destination}…",
                    async progress =>
                    {
                        // The spinner's line shows how long each step has lasted.
                        using var waiting = WaitingProgress.ForTerminal(progress, DefaultScheduler.Instance);
                        return await connector.ConnectAsync(
                            Announcing((code, instruction) => { console.Info($"Your code is {code}"); console.Info(instruction); }, waiting),
                            waiting, cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            catch (PeerKeyChangedException changed)
            {
                if (identity.Sentence() is { } created) console.Info(created);
                if (await PeerTrust.OfferTrustAsync(console, changed, LocalPublicKey()).ConfigureAwait(false))
                    continue;
                return ExitCodes.Failure;
            }

            if (identity.Sentence() is { } first) console.Info(first);
            await using (session.ConfigureAwait(false))
            using (FinishWhenThePeerFinishes(session))
                return await console.RunSessionAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int> ListenAsync(CancellationToken cancellationToken)
    {
        var connector = _app.CreateConnector(_settings);
        var identity = IdentityNotice.Before(_options);
        // A person at the console is asked about a known peer's changed key, while that peer waits (/trust); a script
        // has only --accept-new-key.
        var questions = Scripted || _options.AcceptNewPeerKey ? null : new KeyChangeQuestions();
        var options = questions is null ? _options : _options with { AskToTrustChangedKey = questions.AskAsync };
        var listener = await connector.ListenAsync(options, cancellationToken).ConfigureAwait(false);
        await using (listener.ConfigureAwait(false))
        {
            var address = listener.LocalEndPoint.ToString() ?? _options.EndPoint;
            if (identity.Sentence() is { } created)
            {
                if (!Scripted) IO.Ansi.Show($"[grey]{created}[/]");
                else if (_json) CreateWriter().Status(created);
            }

            return Scripted
                ? await ServeOneAsync(listener, address, cancellationToken).ConfigureAwait(false)
                : await ServeUntilInterruptedAsync(listener, address, questions, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> ServeOneAsync(IChatListener listener, string address, CancellationToken cancellationToken)
    {
        var writer = CreateWriter();
        writer.Listening(address);
        if (_options.PairingCode is { } code)
            writer.Code(code.ToString(), CodeFlow.Announcement(code, $"secretchat connect --{Transport} {address} --code {code}").Instruction);
        using var rejections = listener.Rejections.Subscribe(reason =>
        {
            writer.Error(reason); // the plain writer puts it on stderr
            if (_json) _app.WriteError(reason);
        });
        IChat chat;
        try
        {
            // Only a peer whose handshake completed and was accepted claims the one session; strangers that fail are
            // rejections, and the wait goes on.
            chat = await listener.AcceptAsync(new WriterProgress(writer), cancellationToken).ConfigureAwait(false);
        }
        catch (ChatFailedException ex) when (_json)
        {
            writer.Error(ex.Message); // scripts reading stdout see why, too
            throw;
        }
        await using (chat.ConfigureAwait(false))
            return await ScriptedSession.RunAsync(chat, IO.In, writer, IO.Error, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ServeUntilInterruptedAsync(IChatListener listener, string address, KeyChangeQuestions? questions, CancellationToken cancellationToken)
    {
        var console = new InteractiveConsole(IO.Ansi, new ConsoleLines(IO.In), Commands(), IO.Keys);
        using var rejections = listener.Rejections.Subscribe(reason => console.Error($"Rejected a peer: {reason}"));
        console.Info($"Listening on {address} ({Transport}). Ctrl+C stops.");
        if (_options.PairingCode is { } pairing)
        {
            var (line, instruction) = CodeFlow.Announcement(pairing, $"secretchat connect --{Transport} {address} --code {pairing}");
            console.Info(line);
            console.Info(instruction);
        }
        if (ModeMarking.Warning(_options.Encryption) is { } warning)
            console.Screen.ShowMarkup(warning);
        while (true)
        {
            var session = await NextPeerAsync(console, listener, address, questions, cancellationToken).ConfigureAwait(false);
            await using (session.ConfigureAwait(false))
            using (FinishWhenThePeerFinishes(session))
            {
                var code = await console.RunSessionAsync(session, cancellationToken).ConfigureAwait(false);
                // A code pairs one peer: the next one would need a new code.
                if (code == ExitCodes.Interrupted || _options.PairingCode is not null) return code;
            }

            console.Info($"Waiting for the next peer on {address}; Ctrl+C stops.");
        }
    }

    /// <summary>
    /// Waits under a spinner for the next peer; a known peer that presents a changed key stops the spinner for the
    /// question (both safety numbers, then <c>/trust</c> or not) while that peer waits, and the wait goes on.
    /// </summary>
    private async Task<IChat> NextPeerAsync(InteractiveConsole console, IChatListener listener, string address, KeyChangeQuestions? questions, CancellationToken cancellationToken)
    {
        var progress = new ForwardingProgress();
        var accepting = listener.AcceptAsync(progress, cancellationToken);
        while (true)
        {
            // Waiting for a question takes none: a wait left behind when a peer was accepted instead takes nothing from the next.
            var question = questions?.WaitAsync(cancellationToken) ?? Task.Delay(Timeout.Infinite, cancellationToken);
            var first = await console.WithSpinnerAsync($"Waiting for a peer on {address}…", async spinner =>
            {
                progress.Target = spinner;
                try
                {
                    return await Task.WhenAny(accepting, question).ConfigureAwait(false);
                }
                finally
                {
                    progress.Target = null;
                }
            }).ConfigureAwait(false);
            if (first == accepting || question.IsCanceled || !questions!.TryTake(out var asked))
            {
                if (first != accepting && !question.IsCanceled)
                    continue; // the question was dropped (its peer gave up)
                return await accepting.ConfigureAwait(false);
            }

            using var givenUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, asked.GivenUp);
            var cancelled = Task.Delay(Timeout.Infinite, givenUp.Token);
            var answer = PeerTrust.AskToTrustAsync(console, asked.Changed, LocalPublicKey());
            if (await Task.WhenAny(answer, cancelled).ConfigureAwait(false) == answer)
                asked.Answer.TrySetResult(await answer.ConfigureAwait(false));
            else
            {
                asked.Answer.TrySetResult(false);
                if (!cancellationToken.IsCancellationRequested)
                    console.Warn($"'{asked.Changed.PeerName}' gave up waiting; their new key was not accepted.");
            }
        }
    }

    /// <summary>This side's public identity key, for the safety numbers of a key change; empty when it cannot be read.</summary>
    private ReadOnlyMemory<byte> LocalPublicKey()
    {
        try
        {
            using var identity = SecretChat.Security.Identity.IdentityStore.LoadOrCreate(_options.IdentityPath);
            return identity.PublicKey.ToArray();
        }
        catch (Exception e) when (e is SecretChat.Security.Identity.IdentityException or IOException or UnauthorizedAccessException)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
    }

    /// <summary>
    /// A person at the console has nothing more for a peer that has finished: this side finishes too (once what it sent
    /// is acknowledged), so both sides close, a scripted peer exits, and a listener goes back to waiting. Without it a
    /// scripted peer waits for ever for a Finished that a person never types.
    /// </summary>
    private static IDisposable FinishWhenThePeerFinishes(IChat chat) =>
        chat.Events.OfType<PeerFinished>().Take(1).Subscribe(finished => { _ = chat.FinishAsync(); });

    /// <summary>The slash commands for this session: the defaults, and /verify (which says why where the mode has no safety number).</summary>
    private ConsoleCommands Commands()
    {
        var commands = ConsoleCommands.CreateDefault();
        return commands.AddVerify(_options.Encryption.HasFingerprint ? SecretChat.Chat.Composition.KnownPeersLocation.Resolve(_options) : null);
    }

    private IEventWriter CreateWriter() => _json ? new JsonEventWriter(IO.Out) : new PlainEventWriter(IO.Out, IO.Error);
}
