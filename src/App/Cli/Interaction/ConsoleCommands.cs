using SecretChat.Chat;
using SecretChat.Security;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>What the session does after a command.</summary>
internal enum CommandOutcome
{
    Continue,
    EndSession,
}

/// <summary>What a command can see and do.</summary>
internal sealed class CommandContext
{
    internal CommandContext(IChat chat, ChatScreen screen, Func<Connected?> connected, ConsoleCommands commands)
    {
        Chat = chat;
        Screen = screen;
        _connected = connected;
        Commands = commands;
    }

    private readonly Func<Connected?> _connected;

    public IChat Chat { get; }

    /// <summary>Where the command's output goes: above the prompt.</summary>
    public ChatScreen Screen { get; }

    /// <summary>The session's <see cref="Chat.Connected"/> event, once it has arrived.</summary>
    public Connected? Connected => _connected();

    public ConsoleCommands Commands { get; }

    /// <summary>A line of markup whose values are shown as text, escaped (<see cref="TerminalMarkup"/>): <c>$"[bold]{peer}[/]"</c>.</summary>
    public void MarkupLine(TerminalMarkup markup) => Screen.Show(markup);

    /// <summary>
    /// A line of markup built elsewhere: the caller escapes markup in it (<see cref="TerminalText.ToMarkup"/>); control
    /// characters in it are escaped here all the same, so none reaches the terminal.
    /// </summary>
    public void MarkupLine(string markup) => Screen.ShowMarkup(TerminalText.Escape(markup));

    /// <summary>Asks <paramref name="question"/> and waits for the next line the user types (null at end of input).</summary>
    public async Task<string?> AskAsync(TerminalMarkup question)
    {
        Screen.Show(question);
        var answer = await Screen.NextLineAsync().ConfigureAwait(false);
        Screen.Consume();
        return answer;
    }
}

/// <param name="Name">Without the slash, e.g. <c>fingerprint</c>.</param>
/// <param name="Arguments">Usage of the arguments for /help, e.g. <c>NAME</c>; empty if none.</param>
/// <param name="Description">One line for /help.</param>
/// <param name="Run">Gets the context and the text after the command name (trimmed).</param>
internal sealed record ConsoleCommand(
    string Name,
    string Arguments,
    string Description,
    Func<CommandContext, string, Task<CommandOutcome>> Run);

/// <summary>
/// The slash commands of the interactive console. Later features register theirs here (<c>/trust</c>, <c>/verify</c>, <c>/path</c>).
/// </summary>
internal sealed class ConsoleCommands
{
    private readonly SortedDictionary<string, ConsoleCommand> _commands = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<ConsoleCommand> All => _commands.Values;

    public ConsoleCommands Add(ConsoleCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!_commands.TryAdd(command.Name, command))
            throw new ArgumentException($"The command /{command.Name} is already registered.", nameof(command));
        return this;
    }

    public bool TryGet(string name, out ConsoleCommand command) => _commands.TryGetValue(name, out command!);

    /// <summary>/help, /quit and /fingerprint.</summary>
    public static ConsoleCommands CreateDefault() => new ConsoleCommands()
        .Add(new("help", "", "List the commands.", Help))
        .Add(new("quit", "", "Close the session and exit.", Quit))
        .Add(new("fingerprint", "", "Show the safety number to compare with your peer (noise only).", Fingerprint))
        .Add(new("path", "", "Show how the session travels: direct or relayed, the peer's address, round-trip time, the NATs, and the protocol it runs.", Path));

    private static Task<CommandOutcome> Path(CommandContext context, string _)
    {
        foreach (var line in PathText.Describe(context.Chat.ReportPath()).Split('\n'))
            context.MarkupLine($"[grey]{line}[/]");
        if (context.Connected is { IsConfidential: true } connected)
        {
            context.MarkupLine($"[grey]{SecuritySummary.PostQuantum(connected.IsPostQuantum)}[/]");
            if (ModeMarking.ProtocolLine(connected) is { } protocol)
                context.MarkupLine(protocol);
        }
        return Task.FromResult(CommandOutcome.Continue);
    }

    private static Task<CommandOutcome> Help(CommandContext context, string _)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("Command").AddColumn("What it does");
        foreach (var command in context.Commands.All)
        {
            var usage = command.Arguments.Length == 0 ? $"/{command.Name}" : $"/{command.Name} {command.Arguments}";
            table.AddRow(TerminalText.ToMarkup(usage), TerminalText.ToMarkup(command.Description));
        }

        table.AddRow("//text", "Send a message that starts with a slash.");
        context.Screen.Show(table);
        context.MarkupLine("[grey]Anything else you type is sent as a message.[/]");
        return Task.FromResult(CommandOutcome.Continue);
    }

    private static async Task<CommandOutcome> Quit(CommandContext context, string _)
    {
        await context.Chat.CloseAsync().ConfigureAwait(false);
        return CommandOutcome.EndSession;
    }

    private static Task<CommandOutcome> Fingerprint(CommandContext context, string _)
    {
        var connected = context.Connected;
        if (connected is null)
            context.MarkupLine("[yellow]Not connected yet.[/]");
        else if (connected.Fingerprint is { } fingerprint)
            context.MarkupLine($"Safety number with [bold]{connected.Peer}[/]: [bold green]{fingerprint}[/]{(PeerTrust.State(connected.Contact) is { } state ? $" ({state})" : "")}");
        else
            context.MarkupLine($"[yellow]The {connected.Encryption.Id} mode has no safety number: the peer's identity is not verified.[/]");
        return Task.FromResult(CommandOutcome.Continue);
    }
}
