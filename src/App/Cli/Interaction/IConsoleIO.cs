using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>The console as the app sees it, so tests can drive it with strings.</summary>
internal interface IConsoleIO
{
    TextReader In { get; }

    TextWriter Out { get; }

    TextWriter Error { get; }

    /// <summary>True when stdin is a pipe or a file: the app runs scripted.</summary>
    bool IsInputRedirected { get; }

    /// <summary>The rich console the interactive mode draws on (writes to <see cref="Out"/>).</summary>
    IAnsiConsole Ansi { get; }

    /// <summary>
    /// The terminal's keys, where the interactive console edits the line itself (input and output are a terminal that
    /// takes cursor control); null where lines come as the terminal's own line editing gives them (<c>TERM=dumb</c>, a pipe).
    /// </summary>
    IKeyInput? Keys => null;
}

/// <summary>The process console.</summary>
internal sealed class SystemConsoleIO : IConsoleIO
{
    public static SystemConsoleIO Instance { get; } = new();

    private SystemConsoleIO() { }

    public TextReader In { get; } = new BackgroundLineReader(Console.In);

    public TextWriter Out => Console.Out;

    public TextWriter Error => Console.Error;

    public bool IsInputRedirected => Console.IsInputRedirected;

    public IAnsiConsole Ansi => AnsiConsole.Console;

    public IKeyInput? Keys => _keys.Value;

    private readonly Lazy<IKeyInput?> _keys = new(() =>
        !Console.IsInputRedirected && !Console.IsOutputRedirected && AnsiConsole.Console.Profile.Capabilities.Ansi
            ? new SystemKeyInput()
            : null);
}

/// <summary>
/// <see cref="Console.In"/> answers <c>ReadLineAsync</c> synchronously, blocking the caller until a line arrives; the
/// sessions race a read against the session ending, so the blocking read runs on the thread pool instead.
/// </summary>
internal sealed class BackgroundLineReader(TextReader inner) : TextReader
{
    public override string? ReadLine() => inner.ReadLine();

    public override Task<string?> ReadLineAsync() => Task.Run(inner.ReadLine);

    public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
        new(Task.Run(inner.ReadLine, cancellationToken));

    public override int Read() => inner.Read();

    public override int Peek() => inner.Peek();
}
