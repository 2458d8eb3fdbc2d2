using SecretChat.Cli.Interaction;
using Spectre.Console;

namespace SecretChat.App.Tests.Fakes;

/// <summary>A console driven by strings: input is given up front (or fed line by line), output is captured.</summary>
internal sealed class FakeConsole : IConsoleIO
{
    private readonly NotifyingStringWriter _out = new();
    private readonly StringWriter _error = new();

    public FakeConsole(string input = "", bool isInputRedirected = true)
        : this(new StringReader(input), isInputRedirected)
    {
    }

    public FakeConsole(TextReader input, bool isInputRedirected)
    {
        In = input;
        IsInputRedirected = isInputRedirected;
        Out = TextWriter.Synchronized(_out);
        Error = TextWriter.Synchronized(_error);
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Out),
        });
    }

    public TextReader In { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool IsInputRedirected { get; }

    public IAnsiConsole Ansi { get; }

    public string OutText
    {
        get { lock (Out) return _out.ToString(); }
    }

    public string ErrorText
    {
        get { lock (Error) return _error.ToString(); }
    }

    /// <summary>Waits (with a timeout) until the captured output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = _out.NextChange;
            if (OutText.Contains(text, StringComparison.Ordinal))
                return;
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The console never showed \"{text}\". It showed:\n{OutText}");
            }
        }
    }

    public string[] OutLines => OutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A string writer that completes a task whenever something is written, so tests await output instead of polling.</summary>
internal sealed class NotifyingStringWriter : StringWriter
{
    private TaskCompletionSource _change = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task NextChange => Volatile.Read(ref _change).Task;

    public override void Write(char value)
    {
        base.Write(value);
        Signal();
    }

    public override void Write(string? value)
    {
        base.Write(value);
        Signal();
    }

    public override void Write(char[] buffer, int index, int count)
    {
        base.Write(buffer, index, count);
        Signal();
    }

    private void Signal() =>
        Interlocked.Exchange(ref _change, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
