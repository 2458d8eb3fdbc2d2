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
            .StartAsync(Markup.Escape(status), context => open(new InlineProgress(text =>
            {
                context.Status(Markup.Escape(text));
                context.Refresh();
            })));
    }

    public void Info(string text) => Line($"[grey]{Markup.Escape(text)}[/]");

    public void Warn(string text) => Line($"[yellow]{Markup.Escape(text)}[/]");

    public void Error(string text) => Line($"[red]{Markup.Escape(text)}[/]");

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
                    var from = c.RemoteEndPoint is { } remote ? $" at {Markup.Escape(remote.ToString() ?? "")}" : "";
                    _console.Write(new Rule($"[green]connected to [bold]{Markup.Escape(c.Peer)}[/][/]").LeftJustified());
                    _console.MarkupLine($"[grey]{Markup.Escape(PathText.Name(c.Transport))} ({Markup.Escape(PathText.Name(c.Path))}){from}[/]");
                    if (!c.IsConfidential)
                        _console.MarkupLine($"[bold white on red] {SecuritySummary.NotEncrypted} [/] [red]{Markup.Escape(SecuritySummary.Describe(c.Encryption))}[/]");
                    else
                        _console.MarkupLine($"[green]{Markup.Escape(SecuritySummary.Describe(c.Encryption))}[/]");
                    if (c.Fingerprint is { } fingerprint)
                        _console.MarkupLine($"Safety number: [bold green]{Markup.Escape(fingerprint)}[/]");
                    if (PeerTrust.ContactNotice(c.Contact) is { } notice)
                        _console.MarkupLine($"[bold black on yellow] {Markup.Escape(notice)} [/]");
                    _console.MarkupLine("[grey]Type a message and press Enter; /help lists the commands.[/]");
                }

                break;
            case MessageReceived m:
                Line($"[grey]{m.SentAt.ToLocalTime():HH:mm}[/] [bold aqua]{Markup.Escape(m.From)}[/]: {Markup.Escape(m.Text)}");
                break;
            case Delivered:
                break; // the user's own line is already on screen; acks matter when the session ends
            case PeerFinished f:
                Info($"{f.Peer} has finished sending.");
                break;
            case Disconnected d:
                Line(d.Clean ? $"[yellow]Disconnected: {Markup.Escape(d.Reason)}[/]" : $"[red]Disconnected: {Markup.Escape(d.Reason)}[/]");
                break;
            case PathChanged p:
                Info($"Now on the {PathText.Name(p.Path)} path ({p.Remote}): {PathText.Reason(p.Reason)}");
                break;
            case ChatError e:
                Error(e.Message);
                break;
        }
    }

    private void Line(string markup)
    {
        lock (_gate) _console.MarkupLine(markup);
    }
}
