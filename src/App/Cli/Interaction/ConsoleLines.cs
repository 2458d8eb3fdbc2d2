namespace SecretChat.Cli.Interaction;

/// <summary>
/// Lines typed by the user, read one at a time. A read that is still pending when a session ends carries over to
/// the next session (an interactive listener serves several), so no typed line is lost or read twice.
/// </summary>
internal sealed class ConsoleLines
{
    private readonly TextReader _reader;
    private Task<string?>? _pending;

    public ConsoleLines(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
    }

    /// <summary>The next line, or null at end of input.</summary>
    public Task<string?> NextAsync() => _pending ??= _reader.ReadLineAsync();

    /// <summary>Call after the task from <see cref="NextAsync"/> completed and its line was used.</summary>
    public void Consume() => _pending = null;

    /// <summary>
    /// Takes the line of a read that was already pending and has completed (typed while nobody was asking: the listener
    /// waited); starts no read. False when there is none.
    /// </summary>
    public bool TryTakeCompleted(out string? line)
    {
        line = null;
        if (_pending is not { IsCompleted: true } pending) return false;
        _pending = null;
        if (!pending.IsCompletedSuccessfully) return false;
        line = pending.Result;
        if (line is null) _pending = Task.FromResult<string?>(null); // the end of input stays for the session to see
        return line is not null;
    }
}
