using Microsoft.Extensions.Logging;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// A logger whose messages reach the console escaped (<see cref="TerminalText.Escape"/>): the signaling server logs
/// room names and reasons that strangers sent, and a log read in a terminal must not obey them. The exception, if any,
/// is appended to the message the same way, so nothing from it is printed raw either.
/// </summary>
internal sealed class TerminalLogger : ILogger
{
    private readonly ILogger _inner;

    public TerminalLogger(ILogger inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _inner.Log(logLevel, eventId, state, null, (s, _) =>
        {
            var message = TerminalText.Escape(formatter(s, exception));
            return exception is null ? message : $"{message} {TerminalText.Escape(exception.ToString())}";
        });
    }
}
