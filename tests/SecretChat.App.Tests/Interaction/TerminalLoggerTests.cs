using Microsoft.Extensions.Logging;
using SecretChat.Cli.Interaction;

namespace SecretChat.App.Tests.Interaction;

public class TerminalLoggerTests
{
    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public void Log_RoomNameAndExceptionWithControls_ReachTheInnerLoggerEscaped()
    {
        var inner = new RecordingLogger();
        var logger = new TerminalLogger(inner);

        logger.LogInformation("Room '{Room}' opened by {Source}", "blue\u202Eotter\u001b[2J", "127.0.0.1:5000");
        logger.LogError(new InvalidOperationException("bad\u0007\nline"), "Failed to handle a datagram from {Source}", "127.0.0.1:5000");

        Assert.Equal(2, inner.Entries.Count);
        Assert.Equal("Room 'blue\\u202eotter\\x1b[2J' opened by 127.0.0.1:5000", inner.Entries[0].Message);
        Assert.Equal(LogLevel.Error, inner.Entries[1].Level);
        Assert.Null(inner.Entries[1].Exception); // printed inside the message, escaped, never raw by the console
        Assert.StartsWith("Failed to handle a datagram from 127.0.0.1:5000 System.InvalidOperationException: bad\\x07\\nline", inner.Entries[1].Message);
        Assert.All(inner.Entries, e => TerminalAssert.Safe(e.Message, "a log line"));
        Assert.DoesNotContain('\n', inner.Entries[1].Message);
    }

    [Fact]
    public void IsEnabled_FollowsTheInnerLogger()
    {
        var logger = new TerminalLogger(new RecordingLogger());

        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.False(logger.IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public void Constructor_NullInner_Throws()
    {
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new TerminalLogger(null!)).ParamName);
    }
}
