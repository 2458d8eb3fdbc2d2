using System.CommandLine;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;

namespace SecretChat.Cli;

/// <summary>
/// The <c>secretchat</c> command line: parses, merges settings, opens sessions through an <see cref="IChatConnector"/>
/// and hands them to an interactor. Every failure becomes one sentence on stderr and an exit code (<see cref="ExitCodes"/>).
/// </summary>
internal sealed class CliApp
{
    public const string DebugVariable = "SECRETCHAT_DEBUG";

    private readonly IConsoleIO _io;
    private readonly Func<AppSettings, IChatConnector> _connectorFactory;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly string _baseDirectory;

    /// <param name="io">The console to read and write.</param>
    /// <param name="connectorFactory">Called once per command that opens sessions, with the merged settings.</param>
    /// <param name="environment">Environment variables; null means the process environment.</param>
    /// <param name="baseDirectory">Where the optional <c>secretchat.json</c> is looked for; null means beside the app.</param>
    public CliApp(
        IConsoleIO io,
        Func<AppSettings, IChatConnector> connectorFactory,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(io);
        ArgumentNullException.ThrowIfNull(connectorFactory);
        _io = io;
        _connectorFactory = connectorFactory;
        _environment = environment ?? SettingsLoader.ProcessEnvironment();
        _baseDirectory = baseDirectory ?? AppContext.BaseDirectory;
    }

    /// <summary>Runs the command line with a given connector (tests pass a fake).</summary>
    public static Task<int> RunAsync(string[] args, IChatConnector connector, IConsoleIO io, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return new CliApp(io, _ => connector).RunAsync(args, cancellationToken);
    }

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="cancellationToken">Ctrl+C: sessions close cleanly and the exit code is <see cref="ExitCodes.Interrupted"/>.</param>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var root = new CommandLine(this).Root;
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
            {
                var command = parse.CommandResult.Command;
                var usage = command == root ? "secretchat --help" : $"secretchat {command.Name} --help";
                await WriteErrorAsync(UserSentences.BadCommandLine(CommandLine.Explain(parse), usage)).ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            var configuration = new InvocationConfiguration
            {
                Output = _io.Out,
                Error = _io.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null, // Program owns Ctrl+C so sessions close cleanly
            };
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return await FailAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wraps a command's body: every exception becomes one sentence and an exit code.</summary>
    internal async Task<int> GuardAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return await FailAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> FailAsync(Exception ex, CancellationToken cancellationToken)
    {
        int code;
        string sentence;
        switch (ex)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return ExitCodes.Interrupted;
            case SettingsException:
                (code, sentence) = (ExitCodes.Usage, ex.Message); // the settings' own sentence
                break;
            default:
                (code, sentence) = (ExitCodes.Failure, UserSentences.CommandFailed(ex));
                break;
        }

        await WriteErrorAsync(sentence).ConfigureAwait(false);
        if (IsDebug)
            await WriteErrorLinesAsync(TerminalText.Block(ex.ToString())).ConfigureAwait(false);
        return code;
    }

    private bool IsDebug => _environment.TryGetValue(DebugVariable, out var value) && value is "1" or "true";

    /// <summary>
    /// One sentence on stderr. It may carry text from the network (a peer's name, a server's reason), so it is shown
    /// escaped (<see cref="TerminalText.Escape"/>): one line, nothing a terminal would act on.
    /// </summary>
    internal Task WriteErrorAsync(string sentence) => WriteErrorLinesAsync(TerminalText.Escape(sentence));

    /// <inheritdoc cref="WriteErrorAsync"/>
    internal void WriteError(string sentence)
    {
        _io.Error.WriteLine(TerminalText.Escape(sentence));
        _io.Error.Flush();
    }

    private async Task WriteErrorLinesAsync(string escaped)
    {
        await _io.Error.WriteLineAsync(escaped).ConfigureAwait(false);
        await _io.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    internal IConsoleIO IO => _io;

    internal AppSettings LoadSettings(string? configFile, IReadOnlyDictionary<string, string?> flags) =>
        SettingsLoader.Load(configFile, _baseDirectory, _environment, flags);

    internal IChatConnector CreateConnector(AppSettings settings) => _connectorFactory(settings);
}
