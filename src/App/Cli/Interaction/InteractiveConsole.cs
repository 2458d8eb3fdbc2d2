using SecretChat.Chat;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// The friendly console: a spinner while connecting, colours, messages as they arrive while the user types,
/// and slash commands (<see cref="ConsoleCommands"/>).
/// </summary>
internal sealed class InteractiveConsole
{
    private static readonly TimeSpan EventDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly IAnsiConsole _console;
    private readonly ConsoleLines _lines;
    private readonly ConsoleCommands _commands;
    private readonly Lock _gate = new();

    public InteractiveConsole(IAnsiConsole console, ConsoleLines lines, ConsoleCommands? commands = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(lines);
        _console = console;
        _lines = lines;
        _commands = commands ?? ConsoleCommands.CreateDefault();
    }

    /// <summary>Runs <paramref name="open"/> under a spinner that shows what it reports.</summary>
    public Task<T> WithSpinnerAsync<T>(string status, Func<IProgress<string>, Task<T>> open)
    {
        ArgumentNullException.ThrowIfNull(open);
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
        using var subscription = chat.Events.Subscribe(
            e =>
            {
                if (e is Connected c) Volatile.Write(ref connected, c);
                if (e is Disconnected d) disconnected = d;
                Render(e);
            },
            ex =>
            {
                Error(ex.Message);
                eventsDone.TrySetResult();
            },
            () => eventsDone.TrySetResult());

        var context = new CommandContext(chat, _console, () => Volatile.Read(ref connected), _commands, _gate);
        var cancelled = Task.Delay(Timeout.Infinite, cancellationToken);
        bool quit = false;
        try
        {
            while (true)
            {
                var next = _lines.NextAsync();
                var first = await Task.WhenAny(next, chat.Completion, cancelled).ConfigureAwait(false);
                if (first == cancelled) cancellationToken.ThrowIfCancellationRequested();
                if (first != next) break; // the session ended; a pending read carries over

                _lines.Consume();
                var line = await next.ConfigureAwait(false);
                if (line is null)
                {
                    await chat.CloseAsync("the user closed the input").ConfigureAwait(false);
                    quit = true;
                    break;
                }

                if (line.StartsWith('/') && !line.StartsWith("//", StringComparison.Ordinal))
                {
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
                lock (_gate)
                {
                    var from = c.RemoteEndPoint is { } remote ? $" at {remote}" : "";
                    _console.Write(new Rule(TerminalMarkup.Of($"[green]connected to [bold]{c.Peer}[/][/]")).LeftJustified());
                    LineHeld($"[grey]{PathText.Name(c.Transport)} ({PathText.Name(c.Path)}){from}[/]");
                    if (!c.IsConfidential)
                        LineHeld($"[bold white on red] {SecuritySummary.NotEncrypted} [/] [red]{SecuritySummary.Describe(c.Encryption)}[/]");
                    else
                        LineHeld($"[green]{SecuritySummary.Describe(c.Encryption)}[/]");
                    if (c.IsConfidential)
                        LineHeld($"[grey]{SecuritySummary.PostQuantum(c.IsPostQuantum)}[/]");
                    if (c.Fingerprint is { } fingerprint)
                        LineHeld($"Safety number: [bold green]{fingerprint}[/]");
                    if (c.Contact == ContactStatus.VerifiedByCode)
                        LineHeld($"[bold green]verified by code[/]");
                    if (PeerTrust.ContactNotice(c.Contact) is { } notice)
                        LineHeld($"[bold black on yellow] {notice} [/]");
                    LineHeld($"[grey]Type a message and press Enter; /help lists the commands.[/]");
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
                lock (_gate) _console.Write(message);
                break;
            case Delivered:
                break; // the user's own line is already on screen; acks matter when the session ends
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

    /// <summary>Every line goes out here: the values in it are escaped (<see cref="TerminalMarkup"/>), so a peer's text cannot drive the terminal.</summary>
    private void Line(TerminalMarkup markup)
    {
        lock (_gate) _console.Show(markup);
    }

    /// <summary>As <see cref="Line"/>, for a caller that already holds the output lock.</summary>
    private void LineHeld(TerminalMarkup markup) => _console.Show(markup);
}
