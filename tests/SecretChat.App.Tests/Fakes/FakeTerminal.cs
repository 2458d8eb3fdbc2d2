using System.Text;
using System.Threading.Channels;
using SecretChat.Cli.Interaction;
using Spectre.Console;

namespace SecretChat.App.Tests.Fakes;

/// <summary>
/// A terminal with cursor control, played by the test: keys typed one at a time, and a screen that obeys what the program
/// writes (carriage return, line feed, cursor moves, erasing; colours are ignored), so a test asserts what a person sees.
/// </summary>
internal sealed class FakeTerminal : IConsoleIO, IKeyInput
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>();
    private readonly ScreenWriter _screen;

    public FakeTerminal(int width = 80, int height = 24)
    {
        _screen = new ScreenWriter(width);
        Out = _screen;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(_screen),
        });
        Ansi.Profile.Width = width;
        Ansi.Profile.Height = height;
    }

    public TextReader In { get; } = new StringReader("");

    public TextWriter Out { get; }

    public TextWriter Error { get; } = new StringWriter();

    public bool IsInputRedirected => false;

    public IAnsiConsole Ansi { get; }

    public IKeyInput? Keys => this;

    /// <summary>The screen's rows, top to bottom, without trailing spaces.</summary>
    public IReadOnlyList<string> Rows => _screen.Rows;

    /// <summary>The row the cursor is on (the prompt's, while a session runs).</summary>
    public string CursorRow => _screen.Rows[_screen.Row];

    public int CursorColumn => _screen.Column;

    public string Text => string.Join('\n', Rows);

    /// <summary>Types <paramref name="text"/>, one key per character.</summary>
    public void Type(string text)
    {
        foreach (var c in text) _keys.Writer.TryWrite(new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false));
    }

    public void Press(ConsoleKey key, bool control = false) =>
        _keys.Writer.TryWrite(new ConsoleKeyInfo(key == ConsoleKey.Enter ? '\r' : '\0', key, false, false, control));

    public void Enter() => Press(ConsoleKey.Enter);

    ValueTask<ConsoleKeyInfo> IKeyInput.ReadKeyAsync(CancellationToken cancellationToken) => _keys.Reader.ReadAsync(cancellationToken);

    int IKeyInput.DiscardPending()
    {
        var count = 0;
        while (_keys.Reader.TryRead(out _)) count++;
        return count;
    }

    /// <summary>Waits (with a timeout) until <paramref name="seen"/> holds for the screen.</summary>
    public async Task WaitForAsync(Func<FakeTerminal, bool> seen, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestApp.Timeout);
        while (true)
        {
            var changed = _screen.NextChange;
            lock (_screen)
            {
                if (seen(this)) return;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The terminal never showed {what}. It showed:\n{Text}\n(cursor on row {_screen.Row}, column {_screen.Column})");
            }
        }
    }

    /// <summary>Obeys the few things a line-based program writes to a terminal.</summary>
    private sealed class ScreenWriter(int width) : TextWriter
    {
        private readonly List<StringBuilder> _rows = [new()];
        private readonly StringBuilder _escape = new();
        private TaskCompletionSource _change = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _inEscape;

        public override Encoding Encoding => Encoding.UTF8;

        public int Row { get; private set; }

        public int Column { get; private set; }

        public Task NextChange => Volatile.Read(ref _change).Task;

        public IReadOnlyList<string> Rows
        {
            get
            {
                lock (this) return _rows.Select(r => r.ToString().TrimEnd()).ToList();
            }
        }

        public override void Write(char value)
        {
            lock (this) Put(value);
            Interlocked.Exchange(ref _change, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public override void Write(string? value)
        {
            lock (this)
            {
                foreach (var c in value ?? "") Put(c);
            }
            Interlocked.Exchange(ref _change, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        private void Put(char c)
        {
            if (_inEscape)
            {
                _escape.Append(c);
                if (_escape.Length == 1 && c != '[') { _inEscape = false; _escape.Clear(); return; }
                if (_escape.Length > 1 && c is >= '@' and <= '~')
                {
                    Obey(_escape.ToString(1, _escape.Length - 2), c);
                    _inEscape = false;
                    _escape.Clear();
                }
                return;
            }
            switch (c)
            {
                case '\u001b': _inEscape = true; return;
                case '\r': Column = 0; return;
                case '\n': Column = 0; MoveTo(Row + 1); return;
            }
            if (Column >= width) { Column = 0; MoveTo(Row + 1); }
            var row = _rows[Row];
            while (row.Length < Column) row.Append(' ');
            if (Column < row.Length) row[Column] = c;
            else row.Append(c);
            Column++;
        }

        private void Obey(string parameters, char command)
        {
            if (parameters.StartsWith('?')) return; // cursor visibility
            var n = int.TryParse(parameters.Split(';')[0], out var value) ? value : 0;
            switch (command)
            {
                case 'A': Row = Math.Max(0, Row - Math.Max(1, n)); break;
                case 'B': MoveTo(Row + Math.Max(1, n)); break;
                case 'C': Column = Math.Min(width - 1, Column + Math.Max(1, n)); break;
                case 'D': Column = Math.Max(0, Column - Math.Max(1, n)); break;
                case 'G': Column = Math.Max(0, n - 1); break;
                case 'K':
                    var row = _rows[Row];
                    if (n == 2) row.Clear();
                    else if (n == 0 && Column < row.Length) row.Length = Column;
                    break;
                case 'J':
                    if (Column < _rows[Row].Length) _rows[Row].Length = Column;
                    _rows.RemoveRange(Row + 1, _rows.Count - Row - 1);
                    break;
            }
        }

        private void MoveTo(int row)
        {
            while (_rows.Count <= row) _rows.Add(new StringBuilder());
            Row = row;
        }
    }
}
