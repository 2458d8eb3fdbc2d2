using System.Text;
using System.Threading.Channels;
using SecretChat.Chat;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// The interactive console's screen: lines scroll up above a prompt, and the line being typed is redrawn below every
/// line printed, so output never lands in the middle of it. Without a terminal that takes cursor control (input or
/// output redirected, <c>TERM=dumb</c>), lines are read as the terminal's own line editing gives them and output is
/// printed as it comes, as before.
/// </summary>
/// <remarks>
/// Everything is rendered to text first, so the screen knows how many rows each line took: that is what lets it mark
/// one of your messages delivered (✓) in place, when the rows since are still on the screen.
/// </remarks>
internal sealed class ChatScreen
{
    private const string EraseRow = "\r\u001b[2K";

    private readonly IAnsiConsole _console;
    private readonly ConsoleLines _lines;
    private readonly IKeyInput? _keys;
    private readonly InputLine _input;
    private readonly Lock _gate = new();
    private readonly Dictionary<LocalMessageId, OwnLine> _own = [];
    private Task<string?>? _reading;
    private CancellationTokenSource _stopReading = new();
    private string? _promptAnsi;
    private int _promptColumns;
    private long _rows;

    public ChatScreen(IAnsiConsole console, ConsoleLines lines, IKeyInput? keys, Func<IEnumerable<string>>? completions = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(lines);
        _console = console;
        _lines = lines;
        _keys = keys;
        _input = new InputLine(completions);
    }

    /// <summary>True when this screen edits the line itself (a terminal with cursor control), false when lines come as typed.</summary>
    public bool Editing => _keys is not null;

    /// <summary>The console, for what draws itself (the spinner). Hold <see cref="Gate"/> while writing to it.</summary>
    public IAnsiConsole Console => _console;

    /// <summary>Held while anything is written, so lines never interleave.</summary>
    public Lock Gate => _gate;

    /// <summary>Shows <paramref name="prompt"/> below the output from now on (null: no prompt, between sessions).</summary>
    /// <param name="prompt">Markup written in this program's source (not escaped here).</param>
    public void SetPrompt(string? prompt)
    {
        lock (_gate)
        {
            if (!Editing) return;
            if (_promptAnsi is not null) Raw(EraseRow);
            if (prompt is { } text)
            {
                _promptAnsi = Render(new Markup(text));
                _promptColumns = InputLine.ColumnsOf(Markup.Remove(text));
                DrawPrompt();
            }
            else
            {
                _promptAnsi = null;
            }
        }
    }

    /// <summary>One line of markup above the prompt; the values in it are escaped (<see cref="TerminalMarkup"/>).</summary>
    public void Show(TerminalMarkup markup) => Show(LineOf(markup.ToString()));

    /// <summary>One line of markup built and escaped elsewhere (<see cref="TerminalText.ToMarkup"/>).</summary>
    public void ShowMarkup(string markup) => Show(LineOf(markup));

    /// <summary>Something rendered above the prompt (a message, a table, a rule).</summary>
    public void Show(IRenderable renderable)
    {
        lock (_gate)
        {
            if (!Editing)
            {
                _console.Write(renderable);
                return;
            }
            Above(Render(renderable));
        }
    }

    /// <summary>
    /// Shows a message of yours just sent (<see cref="MessageSent"/>) as <c>12:01 you: text</c>; <see cref="MarkOwn"/> adds
    /// ✓ or ✗. Where the terminal does its own line editing, its echo already shows the text: the line comes with the mark.
    /// </summary>
    public void ShowOwn(LocalMessageId id, DateTimeOffset at, string text)
    {
        lock (_gate)
        {
            var line = new OwnLine(at, text);
            _own[id] = line;
            if (!Editing) return;
            var ansi = Render(OwnMessage(line, mark: null));
            line.Row = _rows;
            line.Rows = Rows(ansi);
            Above(ansi);
        }
    }

    /// <summary>Marks your message <paramref name="id"/> delivered (✓) or not (✗ with <paramref name="reason"/>): in place when it can, else on a line of its own.</summary>
    public void MarkOwn(LocalMessageId id, bool delivered, string? reason = null)
    {
        lock (_gate)
        {
            if (!_own.Remove(id, out var line)) return;
            var mark = delivered ? "[green]✓[/]" : "[red]✗[/]";
            if (!Editing)
            {
                _console.Write(OwnMessage(line, mark));
                if (!delivered) _console.Show($"[red]  not delivered: {reason}[/]");
                return;
            }

            var ansi = Render(OwnMessage(line, mark));
            var rowsUp = _rows - line.Row;
            if (Rows(ansi) == line.Rows && rowsUp < _console.Profile.Height - 1)
            {
                // Up to the line, rewrite it with its mark, and back down to the prompt's row.
                var below = rowsUp - line.Rows;
                var redraw = new StringBuilder(EraseRow).Append($"\u001b[{rowsUp}A\r").Append(ansi.Replace("\n", "\u001b[K\n", StringComparison.Ordinal));
                if (below > 0) redraw.Append($"\u001b[{below}B");
                Raw(redraw.ToString());
                if (_promptAnsi is not null) DrawPrompt();
            }
            else
            {
                Above(Render(LineOf("  " + mark + TerminalMarkup.Of($" [grey]{(delivered ? "delivered" : "not delivered")}: {Shorten(line.Text)}[/]"))));
            }
            if (!delivered)
                Above(Render(LineOf(TerminalMarkup.Of($"[red]  not delivered: {reason}[/]"))));
        }
    }

    /// <summary>
    /// The next line the user submits (null at end of input). A read still pending when a session ends carries over
    /// (line mode) or stops with nothing lost (<see cref="EndSession"/>).
    /// </summary>
    public Task<string?> NextLineAsync()
    {
        if (!Editing) return _lines.NextAsync();
        lock (_gate)
        {
            if (_reading is null || _reading.IsCanceled)
                _reading = ReadLineAsync(_stopReading.Token);
            return _reading;
        }
    }

    /// <summary>Between sessions: shows <paramref name="prompt"/> (markup from this program's source), reads one line, and takes the prompt away.</summary>
    public async Task<string?> AskAsync(string prompt)
    {
        SetPrompt(prompt);
        try
        {
            var answer = await NextLineAsync().ConfigureAwait(false);
            Consume();
            return answer;
        }
        finally
        {
            SetPrompt(null);
        }
    }

    /// <summary>Call after the task from <see cref="NextLineAsync"/> completed and its line was used.</summary>
    public void Consume()
    {
        if (!Editing) _lines.Consume();
        else lock (_gate) _reading = null;
    }

    /// <summary>
    /// Throws away what was typed before the peer was shown (keys in the queue, the line half typed, a line completed
    /// while waiting): nothing typed before the user saw who the peer is is ever sent. Returns how much was thrown away
    /// (keys or lines), 0 for nothing.
    /// </summary>
    public int DiscardTypeAhead()
    {
        if (!Editing)
        {
            return _lines.TryTakeCompleted(out _) ? 1 : 0;
        }
        lock (_gate)
        {
            var discarded = _keys!.DiscardPending() + _input.Text.Length;
            _input.Clear();
            return discarded;
        }
    }

    /// <summary>Starts taking input while nothing reads it (the listener waits), so that what is typed then can be thrown away.</summary>
    public void StartWaiting()
    {
        if (!Editing) _ = _lines.NextAsync();
        else if (_keys is SystemKeyInput system) system.Start();
    }

    /// <summary>The session is over: the prompt goes, a half-typed line is forgotten, and a pending key read stops.</summary>
    public void EndSession()
    {
        lock (_gate)
        {
            if (!Editing) return;
            _stopReading.Cancel();
            _stopReading.Dispose();
            _stopReading = new CancellationTokenSource();
            _reading = null;
            _input.Clear();
            _own.Clear();
        }
        SetPrompt(null);
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ConsoleKeyInfo key;
            try
            {
                key = await _keys!.ReadKeyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
            lock (_gate)
            {
                switch (_input.Apply(key, out var line))
                {
                    case KeyOutcome.Submitted:
                        if (_promptAnsi is not null) DrawPrompt();
                        return line;
                    case KeyOutcome.EndOfInput:
                        return null;
                    case KeyOutcome.Edited when _promptAnsi is not null:
                        if (_input.Candidates.Count > 0)
                            Above(Render(LineOf(TerminalMarkup.Of($"[grey]{string.Join("  ", _input.Candidates)}[/]"))));
                        else
                            DrawPrompt();
                        break;
                }
            }
        }
    }

    /// <summary>Prints rendered text above the prompt: erase the prompt's row, print, draw the prompt again below.</summary>
    private void Above(string ansi)
    {
        Raw(_promptAnsi is null ? ansi : EraseRow + ansi);
        _rows += Rows(ansi);
        if (_promptAnsi is not null) DrawPrompt();
    }

    private void DrawPrompt()
    {
        var (visible, cursor) = _input.View(Math.Max(8, _console.Profile.Width - _promptColumns - 1));
        var back = InputLine.ColumnsOf(visible) - cursor;
        var draw = new StringBuilder(EraseRow).Append(_promptAnsi).Append(visible);
        if (back > 0) draw.Append($"\u001b[{back}D");
        Raw(draw.ToString());
    }

    private void Raw(string ansi)
    {
        _console.Profile.Out.Writer.Write(ansi);
        _console.Profile.Out.Writer.Flush();
    }

    /// <summary>Renders as the console would, into text: colours as the console has them (none for NO_COLOR), its width.</summary>
    private string Render(IRenderable renderable)
    {
        var text = new StringWriter();
        var capture = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = (ColorSystemSupport)(int)_console.Profile.Capabilities.ColorSystem,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        capture.Profile.Width = _console.Profile.Width;
        capture.Profile.Capabilities.Unicode = _console.Profile.Capabilities.Unicode;
        capture.Profile.Capabilities.Links = false;
        capture.Write(renderable);
        return text.ToString();
    }

    /// <summary>A line of markup, ending the row (a <see cref="Markup"/> alone does not).</summary>
    private static Markup LineOf(string markup) => new(markup + "\n");

    private static int Rows(string ansi) => ansi.Count(c => c == '\n');

    private static string Shorten(string text)
    {
        var firstLine = text.Split('\n')[0];
        return firstLine.Length <= 40 ? firstLine : firstLine[..39] + "…";
    }

    /// <summary>Your message as a row of two columns, like the peer's (<c>12:01 you: text ✓</c>).</summary>
    private static Grid OwnMessage(OwnLine line, string? mark) => new Grid()
        .AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0, 0, 1, 0) })
        .AddColumn(new GridColumn { Padding = new Padding(0) })
        .AddRow(
            new Markup(TerminalMarkup.Of($"[grey]{line.At.ToLocalTime():HH:mm}[/] [bold]you[/]:")),
            new Markup(TerminalMarkup.Of($"{TerminalText.Body(line.Text)}") + (mark is null ? "" : " " + mark)));

    private sealed class OwnLine(DateTimeOffset at, string text)
    {
        public DateTimeOffset At { get; } = at;

        public string Text { get; } = text;

        /// <summary>How many rows had been printed before it (where it starts).</summary>
        public long Row { get; set; }

        public int Rows { get; set; }
    }
}
