using System.CommandLine;

namespace SecretChat.Cli;

/// <summary>How an operator watches <c>secretchat signal</c>: where metrics and health are served, and the log's format.</summary>
/// <param name="Metrics"><c>ADDR:PORT</c> for <c>/metrics</c> and <c>/health</c>, or null (the setting decides; empty is off).</param>
/// <param name="LogFormat"><c>text</c> or <c>json</c>, or null (the setting decides).</param>
internal sealed record SignalMonitoring(string? Metrics, string? LogFormat);

/// <summary>The monitoring flags of <c>secretchat signal</c>: <c>--metrics ADDR:PORT</c> and <c>--log-format text|json</c>.</summary>
internal sealed class SignalMonitoringFlags
{
    public const string Text = "text";
    public const string Json = "json";

    public Option<string> Metrics { get; } = new("--metrics")
    {
        Description = "Serve Prometheus metrics (/metrics) and a health check (/health) over HTTP on this address only " +
            "(default: Signaling:Metrics in settings, empty: off). Keep it off the internet: e.g. 127.0.0.1:9478.",
        HelpName = "ADDR:PORT",
    };

    public Option<string> LogFormat { get; } = new("--log-format")
    {
        Description = "How the server logs to stdout: text (one readable line per event, the default) or json (one JSON object per line).",
        HelpName = "text|json",
    };

    public SignalMonitoringFlags() => LogFormat.AcceptOnlyFromAmong(Text, Json);

    public void AddTo(Command command)
    {
        command.Options.Add(Metrics);
        command.Options.Add(LogFormat);
    }

    public SignalMonitoring ToMonitoring(ParseResult parse) => new(parse.GetValue(Metrics), parse.GetValue(LogFormat));
}
