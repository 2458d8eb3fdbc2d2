using SecretChat.Chat;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// The friendly console: a spinner while connecting, colours, messages printed above a prompt whose line is redrawn with
/// what was being typed (<see cref="ChatScreen"/>), your own messages marked when delivered, and slash commands
/// (<see cref="ConsoleCommands"/>).
/// </summary>
internal sealed class InteractiveConsole
{
    private static readonly TimeSpan EventDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly IAnsiConsole _console;
    private readonly ConsoleCommands _commands;
    private readonly ChatScreen _screen;

    /// <param name="console">Where everything is drawn.</param>
    /// <param name="lines">Typed lines, where the terminal edits the line itself (<paramref name="keys"/> null).</param>
    /// <param name="commands">The slash commands (the defaults when null).</param>
    /// <param name="keys">The terminal's keys, where this console edits the line itself (a terminal with cursor control).</param>
    public InteractiveConsole(IAnsiConsole console, ConsoleLines lines, ConsoleCommands? commands = null, IKeyInput? keys = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(lines);
        _console = console;
        _commands = commands ?? ConsoleCommands.CreateDefault();
        _screen = new ChatScreen(console, lines, keys, () => _commands.All.Select(c => "/" + c.Name));
    }

    /// <summary>Where output goes and lines come from.</summary>
    public ChatScreen Screen => _screen;

    /// <summary>Runs <paramref name="open"/> under a spinner that shows what it reports.</summary>
    public Task<T> WithSpinnerAsync<T>(string status, Func<IProgress<string>, Task<T>> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        _screen.StartWaiting(); // what is typed while waiting is thrown away when the peer is shown
        return _console.Status()
            .Spinner(Spinner.Known.Dots)
            .SpinnerStyle(new Style(Color.Aqua))
            .StartAsync(TerminalText.ToMarkup(status), context => open(new InlineProgress(text =>
            {
                context.Status(TerminalText.ToMarkup(text));
                context.Refresh();
            })));
    }

    /// <summary>A grey line; all of <paramref name="text"/> is shown as text, escaped (<see cref="TerminalText"/>).</summary>
    public void Info(string text) => Line($"[grey]{text}[/]");

    /// <summary>A yellow line; all of <paramref name="text"/> is shown as text, escaped.</summary>
    public void Warn(string text) => Line($"[yellow]{text}[/]");

    /// <summary>A red line; all of <paramref name="text"/> is shown as text, escaped.</summary>
    public void Error(string text) => Line($"[red]{text}[/]");

    /// <summary>Runs one session until it ends, <c>/quit</c>, end of input or cancellation (Ctrl+C).</summary>
    /// <returns><see cref="ExitCodes.Success"/> for a clean end or /quit, <see cref="ExitCodes.Interrupted"/> when cancelled.</returns>
    public async Task<int> RunSessionAsync(IChat chat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chat);

        Connected? connected = null;
        Disconnected? disconnected = null;
        var eventsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = chat.Events.Subscribe(
            e =>
            {
                if (e is Connected c) Volatile.Write(ref connected, c);
                if (e is Disconnected d) disconnected = d;
                Render(e);
                if (e is Connected) shown.TrySetResult();
            },
            ex =>
            {
                Error(ex.Message);
                eventsDone.TrySetResult();
            },
            () => eventsDone.TrySetResult());

        var context = new CommandContext(chat, _screen, () => Volatile.Read(ref connected), _commands);
        var cancelled = Task.Delay(Timeout.Infinite, cancellationToken);
        bool quit = false;
        try
        {
            // Nothing is read before the peer is shown (its name, verification state and safety number): what was typed
            // before that was thrown away when the banner went up.
            await Task.WhenAny(shown.Task, chat.Completion, cancelled).ConfigureAwait(false);
            while (shown.Task.IsCompleted)
            {
                var next = _screen.NextLineAsync();
                var first = await Task.WhenAny(next, chat.Completion, cancelled).ConfigureAwait(false);
                if (first == cancelled) cancellationToken.ThrowIfCancellationRequested();
                if (first != next) break; // the session ended; a pending read carries over

                _screen.Consume();
                var line = await next.ConfigureAwait(false);
                if (line is null)
                {
                    await chat.CloseAsync("the user closed the input").ConfigureAwait(false);
                    quit = true;
                    break;
                }

                if (line.StartsWith('/') && !line.StartsWith("//", StringComparison.Ordinal))
                {
                    if (_screen.Editing) _screen.Show($"[grey]> {line}[/]");
                    if (await RunCommandAsync(context, line).ConfigureAwait(false) == CommandOutcome.EndSession)
                    {
                        quit = true;
                        break;
                    }

                    continue;
                }

                if (line.StartsWith("//", StringComparison.Ordinal)) line = line[1..];
                if (line.Length == 0) continue;
                try
                {
                    await chat.SendAsync(line, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    Error(UserSentences.TypedLineNotSent(ex));
                }
                catch (InvalidOperationException)
                {
                    break; // the session has ended; its Disconnected event says why
                }
            }

            await chat.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            await eventsDone.Task.WaitAsync(EventDrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await chat.CloseAsync("interrupted").ConfigureAwait(false);
            Warn("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (TimeoutException)
        {
            // Completed without completing its events: nothing more to show.
        }
        finally
        {
            _screen.EndSession();
        }

        return quit || disconnected is { Clean: true } ? ExitCodes.Success : ExitCodes.Failure;
    }

    private async Task<CommandOutcome> RunCommandAsync(CommandContext context, string line)
    {
        var text = line[1..].Trim();
        int space = text.IndexOf(' ');
        var name = space < 0 ? text : text[..space];
        var arguments = space < 0 ? "" : text[(space + 1)..].Trim();
        if (!_commands.TryGet(name, out var command))
        {
            Warn($"Unknown command /{name}; type /help for the list.");
            return CommandOutcome.Continue;
        }

        return await command.Run(context, arguments).ConfigureAwait(false);
    }

    private void Render(ChatEvent chatEvent)
    {
        switch (chatEvent)
        {
            case Connected c:
                lock (_screen.Gate)
                {
                    // What was typed before the peer is shown goes nowhere; from the banner on, what is typed goes to this peer.
                    var discarded = _screen.DiscardTypeAhead();
                    ShowBanner(c);
                    if (discarded > 0)
                        _screen.Show($"[yellow]What you typed before {c.Peer} was shown was not sent.[/]");
                    _screen.SetPrompt(ModeMarking.Prompt(c));
                }

                break;
            case MessageReceived m:
                // Two columns: rows wrapped at the console's width and the message's own lines stay indented under the
                // text, so no row of it starts where the program's status lines do.
                var message = new Grid()
                    .AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0, 0, 1, 0) })
                    .AddColumn(new GridColumn { Padding = new Padding(0) })
                    .AddRow(
                        new Markup(TerminalMarkup.Of($"[grey]{m.SentAt.ToLocalTime():HH:mm}[/] [bold aqua]{m.From}[/]:")),
                        new Markup(TerminalMarkup.Of($"{TerminalText.Body(m.Text)}")));
                _screen.Show(message);
                break;
            case MessageSent sent:
                _screen.ShowOwn(sent.Id, sent.At, sent.Text);
                break;
            case Delivered delivered:
                _screen.MarkOwn(delivered.Id, delivered: true);
                break;
            case MessageUndelivered undelivered:
                _screen.MarkOwn(undelivered.Id, delivered: false, undelivered.Reason);
                break;
            case PeerFinished f:
                Info($"{f.Peer} has finished sending.");
                break;
            case Disconnected d:
                if (d.Clean) Line($"[yellow]Disconnected: {d.Reason}[/]");
                else Line($"[red]Disconnected: {d.Reason}[/]");
                break;
            case PathChanged p:
                Info($"Now on the {PathText.Name(p.Path)} path ({p.Remote}): {PathText.Reason(p.Reason)}");
                break;
            case ChatError e:
                Error(e.Message);
                break;
        }
    }

    /// <summary>Who the peer is, how the session is protected and, for noise, the safety number and whether it is verified.</summary>
    private void ShowBanner(Connected c)
    {
        var from = c.RemoteEndPoint is { } remote ? $" at {remote}" : "";
        _screen.Show(new Rule(ModeMarking.Title(c)).LeftJustified().RuleStyle(ModeMarking.RuleStyle(c)));
        _screen.Show($"[grey]{PathText.Name(c.Transport)} ({PathText.Name(c.Path)}){from}[/]");
        foreach (var line in ModeMarking.Summary(c))
            _screen.ShowMarkup(line);
        if (c.Fingerprint is { } fingerprint)
            _screen.Show($"Safety number: [bold green]{fingerprint}[/]{(PeerTrust.State(c.Contact) is { } state ? $" ({state})" : "")}");
        if (PeerTrust.ContactNotice(c.Contact) is { } notice)
            _screen.Show($"[bold black on yellow] {notice} [/]");
        _screen.Show($"[grey]Type a message and press Enter; /help lists the commands.[/]");
    }

    /// <summary>Every line goes out here: the values in it are escaped (<see cref="TerminalMarkup"/>), so a peer's text cannot drive the terminal.</summary>
    private void Line(TerminalMarkup markup) => _screen.Show(markup);
}
