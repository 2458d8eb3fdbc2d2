using SecretChat.App.Interaction;
using Spectre.Console;

namespace SecretChat.App.Tests.Fakes;

/// <summary>A console driven by strings: input is given up front (or fed line by line), output is captured.</summary>
internal sealed class FakeConsole : IConsoleIO
{
    private readonly StringWriter _out = new();
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

    public string[] OutLines => OutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
