namespace SecretChat.Cli.Interaction;

/// <summary>
/// Reports on the caller's thread, in order. <see cref="Progress{T}"/> posts to the thread pool, which can reorder
/// "connecting" and "handshaking" lines.
/// </summary>
internal sealed class InlineProgress : IProgress<string>
{
    private readonly Action<string> _report;

    public InlineProgress(Action<string> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _report = report;
    }

    public void Report(string value) => _report(value);
}
