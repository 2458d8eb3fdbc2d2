using System.Threading.Channels;

namespace SecretChat.App.Tests.Fakes;

/// <summary>Standard input that a test types into one line at a time; <see cref="End"/> is Ctrl+D.</summary>
internal sealed class LineFeed : TextReader
{
    private readonly Channel<string?> _lines = Channel.CreateUnbounded<string?>();

    public void Type(string line) => _lines.Writer.TryWrite(line);

    public void End() => _lines.Writer.TryWrite(null);

    public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
        await _lines.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    public override Task<string?> ReadLineAsync() => ReadLineAsync(CancellationToken.None).AsTask();

    public override string? ReadLine() => ReadLineAsync().GetAwaiter().GetResult();
}
