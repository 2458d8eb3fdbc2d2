using Spectre.Console;

namespace SecretChat.App.Interaction;

/// <summary>The console as the app sees it, so tests can drive it with strings.</summary>
public interface IConsoleIO
{
    TextReader In { get; }

    TextWriter Out { get; }

    TextWriter Error { get; }

    /// <summary>True when stdin is a pipe or a file: the app runs scripted.</summary>
    bool IsInputRedirected { get; }

    /// <summary>The rich console the interactive mode draws on (writes to <see cref="Out"/>).</summary>
    IAnsiConsole Ansi { get; }
}

/// <summary>The process console.</summary>
public sealed class SystemConsoleIO : IConsoleIO
{
    public static SystemConsoleIO Instance { get; } = new();

    private SystemConsoleIO() { }

    public TextReader In => Console.In;

    public TextWriter Out => Console.Out;

    public TextWriter Error => Console.Error;

    public bool IsInputRedirected => Console.IsInputRedirected;

    public IAnsiConsole Ansi => AnsiConsole.Console;
}
