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
    public static async Task<int> RunAsync(CliApp app, AppSettings settings, string? listenFlag, SignalingServerOptions serverOptions, CancellationToken cancellationToken)
    {
        var listenText = listenFlag ?? settings.Signaling.Listen;
        var listen = ParseListen(listenText);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Service managers stop with SIGTERM: treat it like Ctrl+C, a clean shutdown.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            })
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
            await app.IO.Out.WriteLineAsync($"signaling server listening on udp {server.LocalEndPoint} (STUN too); Ctrl+C stops it").ConfigureAwait(false);
            if (serverOptions.Redis is { } shared)
                await app.IO.Out.WriteLineAsync($"rooms shared through Redis at {shared}; this node is {server.NodeAddress} to the others").ConfigureAwait(false);
            await app.IO.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: the normal way to stop a server. Disposing it logs "stopped" with its statistics.
            }
        }

        return ExitCodes.Success;
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
