using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Signaling;
using SecretChat.Transport;

namespace SecretChat.Cli;

/// <summary><c>secretchat signal</c>: runs the signaling server (and STUN responder) until Ctrl+C or SIGTERM, then exits 0.</summary>
internal static class SignalCommand
{
    /// <summary>
    /// Runs the server; <paramref name="turn"/> holds the <c>--turn</c> flags and <paramref name="monitoring"/> the
    /// <c>--metrics</c>/<c>--log-format</c> ones, and settings fill in what they leave out.
    /// </summary>
    public static async Task<int> RunAsync(
        CliApp app, AppSettings settings, string? listenFlag, SignalingServerOptions serverOptions, SignalTurnFlags.Values turn,
        SignalMonitoring monitoring, CancellationToken cancellationToken)
    {
        var listenText = listenFlag ?? settings.Signaling.Listen;
        var listen = DualStackOrIPv4(ParseListen(listenText));
        // Metrics and log format (issue 18): read before anything is bound, so a bad value binds nothing.
        var metricsText = monitoring.Metrics ?? settings.Signaling.Metrics;
        var metricsListen = string.IsNullOrWhiteSpace(metricsText) ? null : ParseListen(metricsText);
        var json = LogFormatIsJson(monitoring.LogFormat ?? settings.Signaling.LogFormat);
        // A dual-stack server's peers reach TURN over IPv4, which every peer has (a dual-stack p2p socket reaches it too).
        var turnFamily = listen.Address.Equals(IPAddress.IPv6Any) ? AddressFamily.InterNetwork : listen.AddressFamily;
        if (await SignalTurnFlags.ResolveAsync(turn, settings, turnFamily, cancellationToken).ConfigureAwait(false) is { } turnRelay)
            serverOptions = serverOptions with { Turn = turnRelay };

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Service managers stop with SIGTERM: treat it like Ctrl+C, a clean shutdown.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var loggers = LoggerFactory.Create(logging => (json
                ? logging.AddJsonConsole(console =>
                {
                    // One object per line (Timestamp, EventId, LogLevel, Category, Message, State): what log shippers read.
                    console.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                    console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    console.UseUtcTimestamp = true;
                })
                : logging.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
                }))
            .SetMinimumLevel(LogLevel.Information));
        // Room names and reasons in the log come from strangers: escaped before they reach the console.
        // The server logs its address on start; the command's first line already said it (scripts read that line).
        var logger = new TerminalLogger(new WithoutStartLine(loggers.CreateLogger("SecretChat.Signal")));

        SignalingServer server;
        try
        {
            server = SignalingServer.Start(listen, serverOptions, logger);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ChatFailedException(UserSentences.PortInUse($"udp {listenText}"), ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AccessDenied)
        {
            throw new ChatFailedException($"Cannot listen on udp {listenText}: permission denied (ports below 1024 need privileges).", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable)
        {
            throw new ChatFailedException($"Cannot listen on udp {listenText}: that address is not on this machine.", ex);
        }
        catch (SignalingException ex) when (serverOptions.Redis is { } redis)
        {
            throw new ChatFailedException($"Cannot reach Redis at {redis}: start redis-server there, or leave out --redis (and Signaling:Redis) to keep the rooms in this process.", ex);
        }

        await using (server.ConfigureAwait(false))
        {
            var stopping = false;
            MonitoringEndpoint? endpoint = null;
            if (metricsListen is not null)
            {
                // Healthy while the server serves and, with Redis, while Redis answers.
                Task<string?> Health(CancellationToken _) => Task.Run(() => Volatile.Read(ref stopping) ? "stopping" : server.CheckHealth());
                endpoint = await StartMonitoringAsync(metricsListen, metricsText, new SignalMetrics(server.Statistics), Health, stop.Token).ConfigureAwait(false);
            }

            try
            {
                var started = $"signaling server listening on udp {server.LocalEndPoint} (STUN too); Ctrl+C stops it";
                if (json)
                {
                    // Every stdout line is a JSON object in this format, the first one too.
                    logger.LogInformation("signaling server listening on udp {EndPoint} (STUN too); Ctrl+C stops it", server.LocalEndPoint);
                    if (serverOptions.Redis is { } shared)
                        logger.LogInformation("rooms shared through Redis at {Redis}; this node is {Node} to the others", shared, server.NodeAddress);
                    if (serverOptions.Turn is { } offered)
                        logger.LogInformation("p2p peers relay through the TURN server at {Turn} (credentials valid {Minutes:0} min, renewed while they stay)", offered.Server, offered.CredentialLifetime.TotalMinutes);
                    if (endpoint is not null)
                        logger.LogInformation("metrics on http://{Metrics}/metrics, health on /health", endpoint.EndPoint);
                }
                else
                {
                    await app.IO.Out.WriteLineAsync(started).ConfigureAwait(false);
                    if (serverOptions.Redis is { } shared)
                        await app.IO.Out.WriteLineAsync($"rooms shared through Redis at {shared}; this node is {server.NodeAddress} to the others").ConfigureAwait(false);
                    if (serverOptions.Turn is { } offered)
                        await app.IO.Out.WriteLineAsync($"p2p peers relay through the TURN server at {offered.Server} (credentials valid {offered.CredentialLifetime.TotalMinutes:0} min, renewed while they stay)").ConfigureAwait(false);
                    if (endpoint is not null)
                        await app.IO.Out.WriteLineAsync($"metrics on http://{endpoint.EndPoint}/metrics, health on /health").ConfigureAwait(false);
                }

                await app.IO.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: the normal way to stop a server. Disposing it logs "stopped" with its statistics.
                }

                Volatile.Write(ref stopping, true);
            }
            finally
            {
                if (endpoint is not null)
                    await endpoint.DisposeAsync().ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }

    private static bool LogFormatIsJson(string format) => format.ToLowerInvariant() switch
    {
        SignalMonitoringFlags.Text => false,
        SignalMonitoringFlags.Json => true,
        _ => throw new SettingsException($"'{format}' is not a log format: expected text or json."),
    };

    private static async Task<MonitoringEndpoint> StartMonitoringAsync(
        IPEndPoint listen, string text, SignalMetrics metrics, Func<CancellationToken, Task<string?>> health, CancellationToken cancellationToken)
    {
        try
        {
            return await MonitoringEndpoint.StartAsync(listen, metrics, health, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Microsoft.AspNetCore.Connections.AddressInUseException || ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new ChatFailedException(UserSentences.PortInUse($"tcp {text} (metrics)"), ex);
        }
        catch (Exception ex) when (ex is SocketException { SocketErrorCode: SocketError.AddressNotAvailable } || ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
        {
            throw new ChatFailedException($"Cannot serve metrics on tcp {text}: that address is not on this machine.", ex);
        }
        catch (Exception ex) when (ex is SocketException { SocketErrorCode: SocketError.AccessDenied } || ex.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied })
        {
            throw new ChatFailedException($"Cannot serve metrics on tcp {text}: permission denied (ports below 1024 need privileges).", ex);
        }
    }

    /// <summary>Passes every log entry on except the server's start-up address line, which the command printed itself.</summary>
    private sealed class WithoutStartLine(ILogger inner) : ILogger
    {
        public const string StartFormat = "Signaling and STUN on udp {EndPoint}";

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.Any(v => v is { Key: "{OriginalFormat}", Value: StartFormat }))
                return;
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary><c>[::]</c> (both families, the default) where the machine has IPv6; 0.0.0.0 with the same port where it has not.</summary>
    private static IPEndPoint DualStackOrIPv4(IPEndPoint listen) =>
        listen.Address.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6 ? new IPEndPoint(IPAddress.Any, listen.Port) : listen;

    private static IPEndPoint ParseListen(string text)
    {
        if (!HostPort.TryParse(text, allowPortZero: true, out var listen))
            throw new SettingsException($"'{text}' is not an address to listen on: expected ADDR:PORT, e.g. [::]:3478 or 0.0.0.0:3478.");
        if (listen.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return new IPEndPoint(IPAddress.Loopback, listen.Port);
        if (listen.ToEndPoint() is not IPEndPoint address)
            throw new SettingsException($"'{text}' is not an address to listen on: give an IP address of this machine ([::] or 0.0.0.0 for all), not a name.");
        return address;
    }
}

/// <summary>
/// <c>--redis HOST:PORT</c> and <c>--node-address ADDR:PORT</c> of <c>secretchat signal</c> (settings <c>Signaling:Redis</c>
/// and <c>Signaling:NodeAddress</c>): several nodes that name one Redis share their rooms; each is known to the others,
/// and to the clients they redirect, by its node address (default: the listen address).
/// </summary>
internal sealed class SignalNodeFlags
{
    public Option<string> Redis { get; } = new("--redis")
    {
        Description = "Keep the rooms in this Redis, shared with every other signal node that names it (default: Signaling:Redis in settings; none: rooms stay in this process).",
        HelpName = "HOST:PORT",
    };

    public Option<string> NodeAddress { get; } = new("--node-address")
    {
        Description = "The address clients reach this node at, which other nodes send them to for this node's relays (default: the listen address). Only with --redis.",
        HelpName = "ADDR:PORT",
    };

    public SignalNodeFlags()
    {
        Redis.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!HostPort.TryParse(text, allowPortZero: false, out _, out var error))
                result.AddError($"'{text}' is not a valid --redis: {error} Give HOST:PORT, e.g. --redis 127.0.0.1:6379.");
        });
        NodeAddress.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (ParseNodeAddress(text) is null)
                result.AddError($"'{text}' is not a valid --node-address: give the IP address and port clients reach this node at, e.g. --node-address 203.0.113.7:3478.");
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Redis);
        command.Options.Add(NodeAddress);
    }

    /// <summary><paramref name="options"/> with the flags applied, the settings filling in what they leave out.</summary>
    /// <exception cref="SettingsException">A setting that is not an address.</exception>
    public SignalingServerOptions Apply(SignalingServerOptions options, ParseResult parse, AppSettings settings)
    {
        var redis = parse.GetValue(Redis) ?? NullIfEmpty(settings.Signaling.Redis);
        var nodeText = parse.GetValue(NodeAddress) ?? NullIfEmpty(settings.Signaling.NodeAddress);
        if (redis is not null && !HostPort.TryParse(redis, allowPortZero: false, out _, out var error))
            throw new SettingsException($"'{redis}' is not a Redis address (Signaling:Redis): {error}");
        IPEndPoint? node = null;
        if (nodeText is not null && (node = ParseNodeAddress(nodeText)) is null)
            throw new SettingsException($"'{nodeText}' is not a node address (Signaling:NodeAddress): give the IP address and port clients reach this node at.");
        if (node is not null && redis is null)
            throw new SettingsException("--node-address only matters with --redis HOST:PORT: a node alone redirects no one.");
        return options with { Redis = redis, NodeAddress = node };
    }

    private static IPEndPoint? ParseNodeAddress(string? text) =>
        IPEndPoint.TryParse(text ?? "", out var node) && node.Port != 0 && !node.Address.Equals(IPAddress.Any) && !node.Address.Equals(IPAddress.IPv6Any) ? node : null;

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

/// <summary>
/// The relay flags of <c>secretchat signal</c>. Units are the ones an operator thinks in (KiB/s, KiB, MiB); a flag left out
/// keeps the server's default (<see cref="SignalingServerOptions"/>: 256 KiB/s, bursts of 1 MiB, 256 MiB per room).
/// </summary>
internal sealed class SignalRelayFlags
{
    private const double MaxValue = 1_000_000_000; // far beyond any real link; keeps the conversion to bytes exact enough and in range

    private static readonly SignalingServerOptions Defaults = new();

    public Option<string> Rate { get; } = new("--relay-rate")
    {
        Description = $"Relay rate per room, both directions together, in KiB/s (default {Defaults.RelayBytesPerSecond / 1024}: ample for chat and pasted text).",
        HelpName = "KIB/S",
    };

    public Option<string> Burst { get; } = new("--relay-burst")
    {
        Description = $"How much a room may relay at once above that rate, in KiB (default {Defaults.RelayBurstBytes / 1024}).",
        HelpName = "KIB",
    };

    public Option<string> Total { get; } = new("--relay-total")
    {
        Description = $"How much a room may relay in its whole life, in MiB (default {Defaults.RelayTotalBytes / (1024 * 1024)}).",
        HelpName = "MIB",
    };

    public Option<bool> Off { get; } = new("--no-relay")
    {
        Description = "Do not relay at all: peers whose NATs defeat hole punching then cannot connect.",
    };

    public Option<bool> StunAnswerAll { get; } = new("--stun-answer-all")
    {
        Description = "Answer every STUN Binding request, also bare ones smaller than their answer (browsers, turnutils_stunclient). " +
            "By default an answer is never larger than its request, so forged requests cannot use the server as an amplifier.",
    };

    public SignalRelayFlags()
    {
        Positive(Rate, "KiB/s");
        Positive(Burst, "KiB");
        Positive(Total, "MiB");
        Burst.Validators.Add(result =>
        {
            if (TryNumber(result.GetValueOrDefault<string>(), out var kib) && kib * 1024 < SignalingCodec.MaxRelayPayloadBytes)
                result.AddError($"--relay-burst must hold at least one datagram ({SignalingCodec.MaxRelayPayloadBytes} bytes, about 1.2 KiB).");
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Rate);
        command.Options.Add(Burst);
        command.Options.Add(Total);
        command.Options.Add(Off);
        command.Options.Add(StunAnswerAll);
    }

    /// <summary>The server's options with the given flags applied.</summary>
    public SignalingServerOptions ToServerOptions(ParseResult parse)
    {
        var options = new SignalingServerOptions();
        return options with
        {
            RelayEnabled = !parse.GetValue(Off),
            StunAnswersMayExceedRequests = parse.GetValue(StunAnswerAll),
            RelayBytesPerSecond = Bytes(parse.GetValue(Rate), 1024) ?? options.RelayBytesPerSecond,
            RelayBurstBytes = Bytes(parse.GetValue(Burst), 1024) ?? options.RelayBurstBytes,
            RelayTotalBytes = Bytes(parse.GetValue(Total), 1024 * 1024) ?? options.RelayTotalBytes,
        };
    }

    private static void Positive(Option<string> option, string unit) =>
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!TryNumber(text, out var value) || value <= 0 || value > MaxValue)
                result.AddError($"'{text}' is not a valid {option.Name}: give a positive number of {unit}, e.g. {option.Name} 64.");
        });

    private static bool TryNumber(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static long? Bytes(string? text, long unit) =>
        TryNumber(text, out var value) ? Math.Max(1, (long)Math.Round(value * unit)) : null;
}

/// <summary>
/// <c>--turn HOST:PORT</c> and <c>--turn-secret-file PATH</c> of <c>secretchat signal</c> (settings
/// <c>Signaling:Turn</c> and <c>Signaling:TurnSecretFile</c>): the TURN server whose credentials matched peers get, and
/// the file holding its shared secret (coturn's <c>static-auth-secret</c>).
/// </summary>
/// <remarks>
/// The secret file is read like an identity file: it must exist, be a regular file of at most
/// <see cref="MaxFileBytes"/> bytes, readable by its owner only on Unix (whoever reads it can mint TURN credentials),
/// and hold 1 to <see cref="TurnRelayOptions.MaxSecretBytes"/> bytes of text once surrounding whitespace is trimmed.
/// </remarks>
internal sealed class SignalTurnFlags
{
    /// <summary>The largest secret file read (a secret with generous whitespace around it).</summary>
    public const int MaxFileBytes = 4096;

    public Option<string> Turn { get; } = new("--turn")
    {
        Description = "A TURN server (coturn with use-auth-secret) that p2p peers relay through instead of this server; needs --turn-secret-file.",
        HelpName = "HOST:PORT",
    };

    public Option<string> SecretFile { get; } = new("--turn-secret-file")
    {
        Description = "The file holding the TURN server's static-auth-secret (readable by you only: chmod 600).",
        HelpName = "PATH",
    };

    public SignalTurnFlags()
    {
        Turn.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!HostPort.TryParse(text, allowPortZero: false, out _, out var error))
                result.AddError($"'{text}' is not a valid --turn: {error} Give HOST:PORT, e.g. --turn turn.example.org:3478.");
        });
    }

    /// <summary>What the two flags said (null: left out).</summary>
    public readonly record struct Values(string? Turn, string? SecretFile);

    public void AddTo(Command command)
    {
        command.Options.Add(Turn);
        command.Options.Add(SecretFile);
    }

    public Values From(ParseResult parse) => new(parse.GetValue(Turn), parse.GetValue(SecretFile));

    /// <summary>
    /// The TURN server to offer, from the flags, else the settings; null when neither names one.
    /// </summary>
    /// <exception cref="SettingsException">Only one of the two given, an address that is not one, or a secret file refused.</exception>
    public static async Task<TurnRelayOptions?> ResolveAsync(Values flags, AppSettings settings, AddressFamily family, CancellationToken cancellationToken)
    {
        var turn = flags.Turn ?? NullIfEmpty(settings.Signaling.Turn);
        var file = flags.SecretFile ?? NullIfEmpty(settings.Signaling.TurnSecretFile);
        if (turn is null && file is null)
            return null;
        if (turn is null)
            throw new SettingsException("--turn-secret-file needs --turn HOST:PORT: name the TURN server the secret belongs to.");
        if (file is null)
            throw new SettingsException($"--turn {turn} needs --turn-secret-file PATH: the file with the TURN server's static-auth-secret.");
        if (!HostPort.TryParse(turn, allowPortZero: false, out var hostPort, out var error))
            throw new SettingsException($"'{turn}' is not a TURN server address: {error}");
        var secret = ReadSecret(file);
        try
        {
            var address = await AddressOf(hostPort, family, cancellationToken).ConfigureAwait(false);
            return new TurnRelayOptions(new IPEndPoint(address, hostPort.Port), secret);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"Cannot use the TURN server {turn}: {e.Message}", e);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The secret file's trimmed contents, or a sentence saying why it is refused.</summary>
    /// <exception cref="SettingsException">Missing, not a regular file, too large, readable by others, empty.</exception>
    internal static byte[] ReadSecret(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new SettingsException($"'{path}' is not a path to a TURN secret file: {e.Message}", e);
        }
        if (Directory.Exists(path))
            throw new SettingsException($"The TURN secret file {path} is a folder; give the file that holds the secret.");
        if (!info.Exists)
            throw new SettingsException($"The TURN secret file {path} does not exist; put the TURN server's static-auth-secret in it (chmod 600).");
        if (info.Length > MaxFileBytes)
            throw new SettingsException($"The TURN secret file {path} is {info.Length} bytes; a secret file is at most {MaxFileBytes} (the secret at most {TurnRelayOptions.MaxSecretBytes}).");
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode others =
                UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            var mode = info.UnixFileMode;
            if ((mode & others) != 0)
                throw new SettingsException(
                    $"The TURN secret file {path} can be accessed by other users (mode {Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0')}), so anyone on this machine could mint TURN credentials; make it readable by you only with 'chmod 600 {path}' and try again.");
        }
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            bytes = new byte[MaxFileBytes + 1];
            var length = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (length > MaxFileBytes)
                throw new SettingsException($"The TURN secret file {path} is larger than {MaxFileBytes} bytes; a secret is at most {TurnRelayOptions.MaxSecretBytes}.");
            Array.Resize(ref bytes, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"The TURN secret file {path} cannot be read: {e.Message}", e);
        }
        var trimmed = Trim(bytes);
        var secret = trimmed.ToArray();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        if (secret.Length == 0)
            throw new SettingsException($"The TURN secret file {path} is empty; put the TURN server's static-auth-secret in it.");
        if (secret.Length > TurnRelayOptions.MaxSecretBytes)
            throw new SettingsException($"The TURN secret in {path} is {secret.Length} bytes; at most {TurnRelayOptions.MaxSecretBytes} are taken.");
        return secret;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> bytes)
    {
        // UTF-8 text: the ASCII whitespace around it (a final newline above all) is not part of the secret.
        static bool Space(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0x0B or 0x0C;
        var start = 0;
        var end = bytes.Length;
        while (start < end && Space(bytes[start])) start++;
        while (end > start && Space(bytes[end - 1])) end--;
        return bytes[start..end];
    }

    private static async Task<IPAddress> AddressOf(HostPort turn, AddressFamily family, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await HostResolver.Default.ResolveAsync(turn.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new SettingsException($"Cannot find the TURN server {turn}: {e.Message}", e);
        }
        // The peers reach the TURN server from the p2p socket they use for this server: the same address family.
        return addresses.FirstOrDefault(a => a.AddressFamily == family)
            ?? throw new SettingsException($"The TURN server {turn} has no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address, and this server's peers reach it over that family.");
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
