using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Runs the built <c>secretchat</c> executable as a user or a script would: arguments, stdin lines,
/// stdout read line by line, stderr collected. Every wait has a timeout; the process is killed on dispose.
/// </summary>
internal sealed class SecretChatProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly List<string> _stdoutSeen = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private SecretChatProcess(Process process)
    {
        _process = process;
        _stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_stdoutSeen)
                    _stdoutSeen.Add(line);
                await _stdout.Writer.WriteAsync(line);
            }
            _stdout.Writer.Complete();
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                    _stderr.AppendLine(line);
            }
        });
    }

    public static SecretChatProcess Start(params string[] arguments) => Start(arguments, environment: null);

    public static SecretChatProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "secretchat.dll"));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        return new SecretChatProcess(Process.Start(info) ?? throw new InvalidOperationException("secretchat did not start"));
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_stdoutSeen)
                return [.. _stdoutSeen];
        }
    }

    public async Task WriteLinesAsync(params string[] lines)
    {
        foreach (var line in lines)
            await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Reads stdout until a JSON event of <paramref name="kind"/> arrives, and returns it.</summary>
    public async Task<JsonElement> WaitForEventAsync(string kind, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await foreach (var line in _stdout.Reader.ReadAllAsync(cts.Token))
            {
                if (!line.StartsWith('{'))
                    continue;
                var element = JsonDocument.Parse(line).RootElement;
                if (element.GetProperty("event").GetString() == kind)
                    return element;
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"No '{kind}' event. stdout:\n{string.Join('\n', StdoutLines)}\nstderr:\n{Stderr}");
    }

    /// <summary>Waits for the process to exit and returns its exit code (after stdout and stderr are drained).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"secretchat did not exit. stdout:\n{string.Join('\n', StdoutLines)}\nstderr:\n{Stderr}");
        }
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Every JSON event printed so far.</summary>
    public IReadOnlyList<JsonElement> Events => StdoutLines
        .Where(l => l.StartsWith('{'))
        .Select(l => JsonDocument.Parse(l).RootElement)
        .ToList();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
