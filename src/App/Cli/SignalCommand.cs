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
    public static async Task<int> RunAsync(
        CliApp app, AppSettings settings, string? listenFlag, SignalingServerOptions serverOptions, SignalMonitoring monitoring, CancellationToken cancellationToken)
    {
        var listenText = listenFlag ?? settings.Signaling.Listen;
        var listen = ParseListen(listenText);
        // Metrics and log format (issue 18): read before anything is bound, so a bad value binds nothing.
        var metricsText = monitoring.Metrics ?? settings.Signaling.Metrics;
        var metricsListen = string.IsNullOrWhiteSpace(metricsText) ? null : ParseListen(metricsText);
        var json = LogFormatIsJson(monitoring.LogFormat ?? settings.Signaling.LogFormat);

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

        await using (server.ConfigureAwait(false))
        {
            var stopping = false;
            MonitoringEndpoint? endpoint = null;
            if (metricsListen is not null)
            {
                // Healthy while the server serves; a check of each shared store (Redis) belongs here too.
                Task<string?> Health(CancellationToken _) => Task.FromResult(Volatile.Read(ref stopping) ? "stopping" : (string?)null);
                endpoint = await StartMonitoringAsync(metricsListen, metricsText, new SignalMetrics(server.Statistics), Health, stop.Token).ConfigureAwait(false);
            }

            try
            {
                var started = $"signaling server listening on udp {server.LocalEndPoint} (STUN too); Ctrl+C stops it";
                if (json)
                {
                    // Every stdout line is a JSON object in this format, the first one too.
                    logger.LogInformation("signaling server listening on udp {EndPoint} (STUN too); Ctrl+C stops it", server.LocalEndPoint);
                    if (endpoint is not null)
                        logger.LogInformation("metrics on http://{Metrics}/metrics, health on /health", endpoint.EndPoint);
                }
                else
                {
                    await app.IO.Out.WriteLineAsync(started).ConfigureAwait(false);
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

    private static IPEndPoint ParseListen(string text)
    {
        if (!HostPort.TryParse(text, allowPortZero: true, out var listen))
            throw new SettingsException($"'{text}' is not an address to listen on: expected ADDR:PORT, e.g. 0.0.0.0:3478.");
        if (listen.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return new IPEndPoint(IPAddress.Loopback, listen.Port);
        if (listen.ToEndPoint() is not IPEndPoint address)
            throw new SettingsException($"'{text}' is not an address to listen on: give an IP address of this machine (0.0.0.0 for all), not a name.");
        return address;
    }
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
