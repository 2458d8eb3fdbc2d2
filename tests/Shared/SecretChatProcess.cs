using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace SecretChat.Tests;

/// <summary>
/// The built <c>secretchat</c> run as a user or a script would: arguments, stdin lines, <c>--json</c> events
/// read line by line from stdout, stderr collected; on this machine (<c>dotnet secretchat.dll ...</c>) or inside
/// a network namespace (<c>ip netns exec NS dotnet secretchat.dll ...</c>, the NAT lab).
/// Every wait has a timeout; the process is killed on dispose.
/// </summary>
public sealed class SecretChatProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = Timeouts.Process;

    private readonly Process _process;
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _stdoutSeen = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly Stopwatch _sinceStart = Stopwatch.StartNew();
    private readonly RecordingStream _stdoutBytes;
    private readonly RecordingStream _stderrBytes;
    private bool _disposed;

    private SecretChatProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        // Read through copies that keep the raw bytes (StdoutBytes, StderrBytes); lines are split as before.
        _stdoutBytes = new RecordingStream(process.StandardOutput.BaseStream);
        _stderrBytes = new RecordingStream(process.StandardError.BaseStream);
        var stdout = new StreamReader(_stdoutBytes, process.StandardOutput.CurrentEncoding);
        var stderr = new StreamReader(_stderrBytes, process.StandardError.CurrentEncoding);
        _stdoutPump = Task.Run(async () =>
        {
            while (await stdout.ReadLineAsync() is { } line)
            {
                lock (_stdoutSeen)
                    _stdoutSeen.Add(line);
                await _lines.Writer.WriteAsync(line);
                if (TryParseEvent(line, out var element))
                    await _events.Writer.WriteAsync(element);
            }
            _lines.Writer.Complete();
            _events.Writer.Complete();
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await stderr.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                    _stderr.AppendLine(line);
            }
        });
    }

    /// <summary>The <c>secretchat.dll</c> built beside the tests.</summary>
    public static string BuiltDll { get; } = Path.Combine(AppContext.BaseDirectory, "secretchat.dll");

    /// <summary>Who runs it, for messages (alice, bob, signal, ...).</summary>
    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>Time since the process started.</summary>
    public TimeSpan Elapsed => _sinceStart.Elapsed;

    public static SecretChatProcess Start(params string[] arguments) => Start(arguments, environment: null);

    /// <summary>Starts the built <c>secretchat</c> on this machine, with extra environment variables.</summary>
    public static SecretChatProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment, string name = "secretchat") =>
        Start(name, "dotnet", [BuiltDll, .. arguments], environment);

    /// <summary>
    /// Starts the built <c>secretchat</c> on a pseudo-terminal (through <c>script</c>), so it runs interactive, as at a
    /// person's terminal: stdin lines are typed keys, stdout is what the terminal shows (escape sequences included).
    /// </summary>
    public static SecretChatProcess StartInTerminal(string name, params IEnumerable<string> arguments) =>
        Start(name, "script", ["-qfec", string.Join(' ', new[] { "exec", "dotnet", BuiltDll }.Concat(arguments).Select(ShellQuote)), "/dev/null"],
            new Dictionary<string, string> { ["TERM"] = "dumb", ["COLUMNS"] = "200" });

    private static string ShellQuote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Starts <paramref name="dll"/> inside the network namespace <paramref name="networkNamespace"/> (root only).</summary>
    public static SecretChatProcess StartInNamespace(string name, string networkNamespace, string dll, IEnumerable<string> arguments) =>
        Start(name, "ip", ["netns", "exec", networkNamespace, "dotnet", dll, .. arguments], environment: null);

    private static SecretChatProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        return new SecretChatProcess(name, Process.Start(info) ?? throw new InvalidOperationException($"secretchat did not start for {name}"));
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>Every byte it wrote to stdout so far, as a terminal would have received them.</summary>
    public byte[] StdoutBytes => _stdoutBytes.Bytes;

    /// <summary>Every byte it wrote to stderr so far.</summary>
    public byte[] StderrBytes => _stderrBytes.Bytes;

    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_stdoutSeen)
                return [.. _stdoutSeen];
        }
    }

    /// <summary>Every JSON event printed so far.</summary>
    public IReadOnlyList<JsonElement> Events => StdoutLines
        .Select(l => TryParseEvent(l, out var e) ? e : (JsonElement?)null)
        .OfType<JsonElement>()
        .ToList();

    /// <summary>The texts of the <c>message</c> events so far, in the order they were printed.</summary>
    public IReadOnlyList<string> ReceivedTexts => Events
        .Where(e => Kind(e) == "message")
        .Select(e => e.GetProperty("text").GetString() ?? "")
        .ToList();

    public bool HasExited => _disposed || _process.HasExited;

    /// <summary>How many lines (messages) were written to its stdin.</summary>
    public int LinesWritten { get; private set; }

    /// <summary>The texts of the <c>message</c> events from <paramref name="from"/> so far.</summary>
    public string[] TextsFrom(string from) => Events
        .Where(e => Kind(e) == "message" && e.GetProperty("from").GetString() == from)
        .Select(e => e.GetProperty("text").GetString()!)
        .ToArray();

    public async Task WriteLinesAsync(params IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            await _process.StandardInput.WriteLineAsync(line);
            LinesWritten++;
        }
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Sends SIGTERM, as a service manager stops a process.</summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    /// <summary>Sends SIGINT, as Ctrl+C at a terminal does.</summary>
    public Task InterruptAsync() => SignalAsync("INT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync().WaitAsync(Timeouts.Default);
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited {kill.ExitCode}.");
    }

    /// <summary>
    /// Reads events (each one once, in order) until one of <paramref name="kinds"/> arrives, and returns it;
    /// throws with everything printed so far if none comes in time (<see cref="TimeoutException"/>) or the
    /// process ends first (<see cref="InvalidOperationException"/>).
    /// </summary>
    public async Task<JsonElement> WaitForEventAsync(TimeSpan timeout, params string[] kinds)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var element in _events.Reader.ReadAllAsync(cts.Token))
            {
                if (kinds.Contains(Kind(element)))
                    return element;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no {string.Join(" or ", kinds)} event within {timeout.TotalSeconds:0} s.\n{Transcript()}");
        }
        throw new InvalidOperationException($"{Name}: exited ({ExitCodeText()}) before any {string.Join(" or ", kinds)} event.\n{Transcript()}");
    }

    /// <summary>Reads stdout until a JSON event of <paramref name="kind"/> arrives, and returns it.</summary>
    public Task<JsonElement> WaitForEventAsync(string kind, TimeSpan? timeout = null) => WaitForEventAsync(timeout ?? DefaultTimeout, kind);

    /// <summary>Reads stdout lines (each one once, in order, JSON or not) until one matches, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                if (match(line))
                    return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no matching line within {limit.TotalSeconds:0} s.\n{Transcript()}");
        }
        throw new InvalidOperationException($"{Name}: exited ({ExitCodeText()}) before a matching line.\n{Transcript()}");
    }

    /// <summary>Waits for <paramref name="count"/> more <c>message</c> events.</summary>
    public async Task<IReadOnlyList<string>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var texts = new List<string>();
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (texts.Count < count)
        {
            var remaining = limit - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero)
                throw new TimeoutException($"{Name}: {texts.Count} of {count} messages within {limit.TotalSeconds:0} s.\n{Transcript()}");
            var message = await WaitForEventAsync(remaining, "message");
            texts.Add(message.GetProperty("text").GetString() ?? "");
        }
        return texts;
    }

    /// <summary>Waits for the process to exit and returns its exit code (after stdout and stderr are drained).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: did not exit within {limit.TotalSeconds:0} s.\n{Transcript()}");
        }
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(Timeouts.Default);
        return _process.ExitCode;
    }

    /// <summary>Everything it printed, for failure messages and test output.</summary>
    public string Transcript() =>
        $"--- {Name} stdout:\n{string.Join('\n', StdoutLines)}\n--- {Name} stderr:\n{Stderr}";

    public static string Kind(JsonElement element) =>
        element.TryGetProperty("event", out var kind) ? kind.GetString() ?? "" : "";

    private string ExitCodeText() => _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";

    private static bool TryParseEvent(string line, out JsonElement element)
    {
        element = default;
        if (!line.StartsWith('{'))
            return false;
        try
        {
            element = JsonDocument.Parse(line).RootElement;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Timeouts.Default);
        }
        _process.Dispose();
        _disposed = true;
    }
}
