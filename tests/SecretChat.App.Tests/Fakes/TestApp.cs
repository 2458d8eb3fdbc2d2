using SecretChat.Chat;
using SecretChat.Cli;

namespace SecretChat.App.Tests.Fakes;

/// <summary>Runs the CLI against fakes, with a private environment and an empty app folder (no stray secretchat.json).</summary>
internal sealed class TestApp : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public TestApp(FakeConsole? console = null, IChatConnector? connector = null)
    {
        Console = console ?? new FakeConsole();
        Connector = connector ?? new FakeConnector();
        BaseDirectory = Directory.CreateTempSubdirectory("secretchat-tests-").FullName;
    }

    public FakeConsole Console { get; }

    public IChatConnector Connector { get; }

    public FakeConnector Fake => (FakeConnector)Connector;

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string BaseDirectory { get; }

    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(BaseDirectory, name);
        File.WriteAllText(path, text);
        return path;
    }

    public Task<int> StartAsync(string commandLine, CancellationToken cancellationToken = default) =>
        new CliApp(Console, _ => Connector, Environment, BaseDirectory)
            .RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), cancellationToken);

    public Task<int> RunAsync(string commandLine, CancellationToken cancellationToken = default) =>
        StartAsync(commandLine, cancellationToken).WaitAsync(Timeout, cancellationToken);

    public void Dispose()
    {
        try { Directory.Delete(BaseDirectory, recursive: true); }
        catch (IOException) { }
    }
}
