using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Signaling;
using SecretChat.Transport;

namespace SecretChat.Cli;

/// <summary>The command tree: <c>listen</c>, <c>connect</c>, <c>demo</c>, <c>signal</c>, <c>p2p</c>, <c>ui</c> (the command-line contract in README.md: keep it stable).</summary>
internal sealed class CommandLine
{
    private readonly CliApp _app;

    public CommandLine(CliApp app)
    {
        _app = app;
        Root = new RootCommand("SecretChat: end-to-end encrypted chat between two peers.");
        Root.SetAction((_, _) => _app.GuardAsync(async _ =>
        {
            await _app.WriteErrorAsync("Choose a command: listen, connect, demo, signal, netcheck, p2p or ui (see 'secretchat --help').").ConfigureAwait(false);
            return ExitCodes.Usage;
        }, CancellationToken.None));
        Examples(
            Root,
            "secretchat listen --tcp 0.0.0.0:5000                      wait for a peer",
            "secretchat connect --tcp chat.example.org:5000            talk to it",
            "printf 'hi\\nbye\\n' | secretchat connect --tcp 127.0.0.1:5000 --json",
            "secretchat demo                                           see both sides in one process");

        var listen = ChatCommand(
            "listen",
            "Wait for a peer to connect, then chat. On a terminal it serves peers one after another until Ctrl+C; " +
            "scripted (stdin redirected or --json) it serves one session and exits when it ends.",
            "ADDR:PORT",
            allowPortZero: true,
            (session, ct) => session.ListenAsync(ct));
        Examples(
            listen,
            "secretchat listen --tcp 0.0.0.0:5000",
            "secretchat listen --tcp 127.0.0.1:0 --json      (the 'listening' event tells the port)",
            "secretchat listen --udp 0.0.0.0:5000 --encryption rsa --name bob");

        var connect = ChatCommand(
            "connect",
            "Connect to a listening peer and chat. Scripted (stdin redirected or --json), each input line is one message; " +
            "at end of input it waits until the peer has acknowledged everything, then exits 0.",
            "HOST:PORT",
            allowPortZero: false,
            (session, ct) => session.ConnectAsync(ct));
        Examples(
            connect,
            "secretchat connect --tcp 192.0.2.7:5000 --name alice",
            "echo hello | secretchat connect --tcp 127.0.0.1:5000 --encryption rsa",
            "secretchat connect --tcp [::1]:5000 --accept-new-key     (after comparing safety numbers)");

        Root.Subcommands.Add(listen);
        Root.Subcommands.Add(connect);
        Root.Subcommands.Add(Demo());
        Root.Subcommands.Add(Signal());
        Root.Subcommands.Add(Netcheck());
        Root.Subcommands.Add(PeerToPeer());
        Root.Subcommands.Add(Ui());
        // -V as well as --version: the short form most programs take.
        Root.Options.OfType<VersionOption>().Single().Aliases.Add("-V");
        AddExamplesToHelp();
    }

    /// <summary>
    /// The sentence for a command line that does not parse: the parser's first complaint, with "did you mean ...?" when
    /// a word not understood is a small typo away from a command or option that exists there.
    /// </summary>
    public static string Explain(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        // A typo is the likeliest cause of every other complaint ("--tcp is missing" after "--tpc"): it goes first.
        foreach (var token in parse.UnmatchedTokens.Concat(OptionLikeArguments(parse.CommandResult)))
        {
            var known = token.StartsWith('-')
                ? OptionsOf(parse.CommandResult).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
            if (NameSuggestions.Closest(token, known) is not { } suggestion)
                continue;
            var error = parse.Errors.FirstOrDefault(e => e.Message.Contains($"'{token}'", StringComparison.Ordinal));
            if (error is not null)
                return $"{error.Message.TrimEnd()} Did you mean '{suggestion}'?";
            // An option-like word an argument took (its own complaint may not be the first): it is no option here.
            if (token.StartsWith('-'))
                return $"Unrecognized command or argument '{token}'. Did you mean '{suggestion}'?";
        }

        return parse.Errors[0].Message.TrimEnd();
    }

    /// <summary>
    /// Words the command's own arguments took that look like options: a mistyped option in front of an optional argument
    /// (<c>p2p --wiat 5m</c>) is taken as the argument's value (the CODE), and its validator refuses it by name.
    /// </summary>
    private static IEnumerable<string> OptionLikeArguments(CommandResult result) =>
        result.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value).Where(v => v.StartsWith('-'));

    /// <summary>The options valid at <paramref name="result"/>: its command's own and the recursive ones of its parents.</summary>
    private static IEnumerable<Option> OptionsOf(CommandResult result)
    {
        foreach (var option in result.Command.Options)
            yield return option;
        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var option in parent.Command.Options.Where(o => o.Recursive))
                yield return option;
        }
    }

    private readonly Dictionary<Command, string[]> _examples = [];

    private void Examples(Command command, params string[] lines) => _examples[command] = lines;

    private void AddExamplesToHelp()
    {
        // System.CommandLine 3.0 keeps its HelpBuilder internal, so examples follow the standard help.
        var help = Root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard)
            help.Action = new HelpWithExamples(standard, _examples);
    }

    private sealed class HelpWithExamples(HelpAction standard, Dictionary<Command, string[]> examples) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = standard.Invoke(parseResult);
            if (examples.TryGetValue(parseResult.CommandResult.Command, out var lines))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var line in lines) output.WriteLine($"  {line}");
                output.WriteLine();
            }

            return code;
        }
    }

    public RootCommand Root { get; }

    private Command ChatCommand(string name, string description, string endPointHelp, bool allowPortZero, Func<SessionCommand, CancellationToken, Task<int>> run)
    {
        var common = new CommonOptions();
        var what = name == "listen" ? "listen on" : "connect to";
        var tcp = EndPointOption("--tcp", $"TCP address to {what}.", endPointHelp, allowPortZero);
        var udp = EndPointOption("--udp", $"UDP address to {what}.", endPointHelp, allowPortZero);
        var code = new Option<string?>("--code")
        {
            Description = name == "listen"
                ? "Pair with a short code (noise): without a value a new code is made and shown; the peer connects with --code CODE."
                : "Pair with the code the listener shows (noise): a man in the middle fails, and the peer is pinned as verified by code.",
            HelpName = "CODE",
            Arity = name == "listen" ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        var codeWords = CodeFlow.WordsOption();
        var command = new Command(name, description) { tcp, udp, code, codeWords };
        common.AddTo(command);
        command.Validators.Add(result =>
        {
            bool hasTcp = result.GetResult(tcp) is not null, hasUdp = result.GetResult(udp) is not null;
            if (hasTcp == hasUdp)
                result.AddError(hasTcp
                    ? "Give either --tcp or --udp, not both."
                    : $"Say how to reach the peer: --tcp {endPointHelp} or --udp {endPointHelp}.");
        });
        command.SetAction((parse, ct) => _app.GuardAsync(token =>
        {
            var transport = parse.GetResult(tcp) is not null ? ChatTransport.Tcp : ChatTransport.Udp;
            var endPoint = parse.GetValue(transport == ChatTransport.Tcp ? tcp : udp)!;
            var settings = _app.LoadSettings(parse.GetValue(common.Config), common.SettingsFlags(parse));
            var options = settings.ToChatOptions(transport, endPoint, parse.GetValue(common.AcceptNewKey));
            if (parse.GetResult(code) is not null)
            {
                options = options with
                {
                    PairingCode = parse.GetValue(code) is { } typed
                        ? CodeFlow.Parse(typed, needsNameplate: false)
                        : Security.Pairing.PairingCode.Generate(parse.GetValue(codeWords)),
                };
                CodeFlow.CheckModule(options);
            }
            var session = new SessionCommand(_app, settings, options, json: parse.GetValue(common.Json));
            return run(session, token);
        }, ct));
        return command;
    }

    private Command Demo()
    {
        var common = new CommonOptions();
        var command = new Command(
            "demo",
            "Run alice and bob in this process over loopback TCP and show what each layer does: " +
            "framing, the handshake, the encryption mode and its safety number, acknowledgements.");
        Examples(command, "secretchat demo", "secretchat demo --encryption pseudo");
        common.AddMinimalTo(command);
        command.SetAction((parse, ct) => _app.GuardAsync(token =>
        {
            var settings = _app.LoadSettings(parse.GetValue(common.Config), common.SettingsFlags(parse));
            return DemoScript.RunAsync(_app.CreateConnector(settings), settings, _app.IO.Ansi, token);
        }, ct));
        return command;
    }

    private Command Signal()
    {
        var config = new CommonOptions().Config;
        var listen = EndPointOption("--listen", $"Address to serve signaling and STUN on (default: Signaling:Listen in settings, {new SignalingSettings().Listen}).", "ADDR:PORT", allowPortZero: true);
        var relay = new SignalRelayFlags();
        var node = new SignalNodeFlags();
        var turn = new SignalTurnFlags();
        var monitoring = new SignalMonitoringFlags();
        var command = new Command(
            "signal",
            "Run the signaling server that p2p peers meet at (it also answers STUN binding requests and relays for peers that cannot punch through) until Ctrl+C or SIGTERM; logs to the console.")
        { listen, config };
        relay.AddTo(command);
        node.AddTo(command);
        turn.AddTo(command);
        monitoring.AddTo(command);
        Examples(
            command,
            "secretchat signal --listen 0.0.0.0:3478      (IPv4 only; the default [::]:3478 serves both families)",
            "secretchat signal --turn turn.example.org:3478 --turn-secret-file /etc/secretchat/turn.secret",
            "secretchat signal --listen 127.0.0.1:0      (any free port; the first line tells it)",
            "secretchat signal --relay-rate 64 --relay-total 100      (a smaller relay per room)",
            "secretchat signal --no-relay",
            "secretchat signal --redis 10.0.0.5:6379 --node-address 203.0.113.7:3478      (one of several nodes sharing rooms)",
            "secretchat signal --metrics 127.0.0.1:9478 --log-format json      (Prometheus scrapes /metrics; /health for probes)");
        command.SetAction((parse, ct) => _app.GuardAsync(token =>
        {
            var settings = _app.LoadSettings(parse.GetValue(config), new Dictionary<string, string?>());
            return SignalCommand.RunAsync(_app, settings, parse.GetValue(listen), node.Apply(relay.ToServerOptions(parse), parse, settings), turn.From(parse), monitoring.ToMonitoring(parse), token);
        }, ct));
        return command;
    }

    private Command Netcheck()
    {
        var config = new CommonOptions().Config;
        var json = new CommonOptions().Json;
        var stun = new Option<string[]>("--stun")
        {
            Description = "A STUN server to ask (repeat it: two servers, or two ports of one, reveal how your NAT maps ports). Default: Signaling:Server in settings.",
            HelpName = "HOST:PORT",
        };
        var command = new Command(
            "netcheck",
            "Find your public address and how your NAT behaves (from one UDP port, asking STUN servers), and say whether direct p2p connections can work.")
        { stun, json, config };
        Examples(
            command,
            "secretchat netcheck",
            "secretchat netcheck --stun stun.l.google.com:19302 --stun stun.cloudflare.com:3478",
            "secretchat netcheck --stun signal.example.org:3478 --json");
        command.SetAction((parse, ct) => _app.GuardAsync(token =>
        {
            var settings = _app.LoadSettings(parse.GetValue(config), new Dictionary<string, string?>());
            return NetcheckCommand.RunAsync(_app, settings, parse.GetValue(stun) ?? [], parse.GetValue(json), token);
        }, ct));
        return command;
    }

    private Command PeerToPeer()
    {
        var common = new CommonOptions();
        var room = new Option<string>("--room", "-r")
        {
            Description = "The room name both peers agree on (first contact unverified: compare the safety number). Without --room and without a code, a code is made.",
            HelpName = "NAME",
        };
        var code = new Argument<string?>("CODE")
        {
            Description = "The code the other side shows (N-word-word): pairs and verifies the peer by code.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        // Tab at a shell with completion installed (dotnet-suggest) completes the words from the PGP word list.
        code.Validators.Add(result =>
        {
            // A mistyped option lands here as the code: refuse it in the parser's words, so Explain can suggest the option.
            if (result.GetValueOrDefault<string?>() is { } value && value.StartsWith('-'))
                result.AddError($"Unrecognized command or argument '{value}'.");
        });
        code.CompletionSources.Add(context => CodeFlow.Complete(context.WordToComplete).Select(candidate => new System.CommandLine.Completions.CompletionItem(candidate)));
        var codeWords = CodeFlow.WordsOption();
        var signal = new Option<string>("--signal")
        {
            Description = "The signaling server, or several nodes of one deployment separated by commas, tried in order: the next when one stops answering (default: Signaling:Server in settings).",
            HelpName = "HOST:PORT[,HOST:PORT...]",
        };
        signal.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value?.Contains(',') != true)
            {
                if (EndPointProblem(value, "--signal", "HOST:PORT", allowPortZero: false) is { } problem)
                    result.AddError(problem);
            }
            else if (!SignalingServerList.TryParse(value, out _, out var error))
            {
                result.AddError($"'{value}' is not a valid --signal list: {error}.");
            }
        });
        var bind = new Option<string>("--bind")
        {
            Description = "The local address to bind the UDP socket to; only it is announced to the peer (default: P2p:Bind in settings; loopback when the server is on loopback, else every address).",
            HelpName = "ADDR",
        };
        bind.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!System.Net.IPAddress.TryParse(value, out _))
                result.AddError($"'{value}' is not a valid --bind address: expected a local IP address, e.g. 127.0.0.1, 0.0.0.0 or ::.");
        });
        var wait = new Option<string>("--wait")
        {
            Description = $"How long to wait for the peer to join the room: seconds, or with a unit (90s, 10m, 1h); 0 waits until Ctrl+C (default {UserSentences.Duration(ChatOptions.DefaultPeerWait)}).",
            HelpName = "DURATION",
        };
        wait.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!WaitDuration.TryParse(value, out _))
                result.AddError($"'{value}' is not a valid --wait: give seconds or a number with s, m or h, e.g. --wait 90s or --wait 30m (0 waits until Ctrl+C).");
        });
        var command = new Command(
            "p2p",
            "Meet a peer through the signaling server by a short code (or a room name), punch through both NATs and chat directly over UDP.")
        { code, room, signal, bind, codeWords, wait };
        command.Validators.Add(result =>
        {
            if (result.GetResult(room) is not null && result.GetValue(code) is not null)
                result.AddError("Give either a code or --room NAME, not both.");
        });
        Examples(
            command,
            "secretchat p2p                               shows a code: 'Your code is 7-crossover-clockwork'",
            "secretchat p2p 7-crossover-clockwork         the other side, with that code",
            "secretchat p2p --room blue-otter --signal signal.example.org:3478",
            "secretchat p2p --room blue-otter --signal signal.example.org:3478 --wait 30m");
        common.AddTo(command);
        command.SetAction((parse, ct) => _app.GuardAsync(async token =>
        {
            var flags = common.SettingsFlags(parse);
            CommonOptions.Put(flags, $"{nameof(AppSettings.P2p)}:{nameof(PeerToPeerSettings.Bind)}", parse, bind);
            var settings = _app.LoadSettings(parse.GetValue(common.Config), flags);
            var server = parse.GetValue(signal) ?? settings.Signaling.Server;
            var options = settings.ToChatOptions(ChatTransport.PeerToPeer, server, parse.GetValue(common.AcceptNewKey)) with
            {
                Room = parse.GetValue(room),
                PeerWait = WaitDuration.TryParse(parse.GetValue(wait), out var peerWait) ? peerWait : ChatOptions.DefaultPeerWait,
            };
            if (options.Room is null)
            {
                options = options with
                {
                    PairingCode = parse.GetValue(code) is { } typed
                        ? CodeFlow.Parse(typed, needsNameplate: true)
                        : Security.Pairing.PairingCode.Generate(parse.GetValue(codeWords)),
                };
                CodeFlow.CheckModule(options);
            }
            // Nobody set a server and the default local one is not running: say so, and what to do.
            var defaultServer = parse.GetValue(signal) is null && settings.Signaling.Server == new SignalingSettings().Server;
            var session = new SessionCommand(_app, settings, options, json: parse.GetValue(common.Json))
            {
                ExplainFailure = e => defaultServer && e.InnerException is SignalingTimeoutException
                    ? new ChatFailedException(UserSentences.NoSignalingServer(server), e)
                    : e,
            };
            try
            {
                return await session.ConnectAsync(token).ConfigureAwait(false);
            }
            catch (ChatFailedException e) when (session.ExplainFailure(e) != e)
            {
                throw session.ExplainFailure(e); // the interactive path: the console's spinner let it through
            }
        }, ct));
        return command;
    }

    private Command Ui()
    {
        var common = new CommonOptions();
        var listen = EndPointOption("--listen", "Where to serve the interface (default 127.0.0.1:0, a free loopback port); any other address asks you to confirm.", "ADDR:PORT", allowPortZero: true);
        var open = new Option<bool>("--open") { Description = "Open the interface in the default browser." };
        var command = new Command(
            "ui",
            "Serve the chat in a browser window on this machine: start or join conversations (p2p room, listen, connect), " +
            "several at once, with the same identity, pins and settings as the console. Prints the URL (with a private token) until Ctrl+C.")
        { listen, open };
        command.Options.Add(common.Encryption);
        command.Options.Add(common.Name);
        command.Options.Add(common.Identity);
        command.Options.Add(common.KnownPeers);
        command.Options.Add(common.Config);
        command.Options.Add(common.Timeout);
        Examples(command, "secretchat ui", "secretchat ui --open --name alice", "secretchat ui --listen 127.0.0.1:8080");
        command.SetAction((parse, ct) => _app.GuardAsync(token =>
        {
            var settings = _app.LoadSettings(parse.GetValue(common.Config), common.SettingsFlags(parse));
            var endPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0);
            if (parse.GetValue(listen) is { } text && HostPort.TryParse(text, allowPortZero: true, out var address))
                endPoint = System.Net.IPAddress.TryParse(address.Host, out var ip)
                    ? new System.Net.IPEndPoint(ip, address.Port)
                    : throw new SettingsException($"--listen needs an IP address, not a host name: '{address.Host}'.");
            return UiCommand.RunAsync(_app, settings, endPoint, parse.GetValue(open), token);
        }, ct));
        return command;
    }

    private static Option<string> EndPointOption(string name, string description, string helpName, bool allowPortZero)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName };
        option.Validators.Add(result =>
        {
            if (EndPointProblem(result.GetValueOrDefault<string>(), name, helpName, allowPortZero) is { } problem)
                result.AddError(problem);
        });
        return option;
    }

    /// <summary>Why <paramref name="value"/> is not a valid <paramref name="name"/> address, or null if it is.</summary>
    internal static string? EndPointProblem(string? value, string name, string helpName, bool allowPortZero)
    {
        if (HostPort.TryParse(value, allowPortZero, out _))
            return null;
        var expected = $"expected {helpName}{(allowPortZero ? " (port 0 picks a free one)" : "")}, e.g. 127.0.0.1:5000 or [::1]:5000";
        var text = value?.Trim() ?? "";
        var colon = text.LastIndexOf(':');
        var port = colon >= 0 && (!text.StartsWith('[') || text.LastIndexOf(']') == colon - 1) ? text[(colon + 1)..] : null;
        if (port is { Length: > 0 } && HostPort.TryParse(text[..colon] + ":1", allowPortZero: false, out _))
        {
            // The host is fine: say what is wrong with the port.
            var why = port.All(char.IsAsciiDigit) && port.TrimStart('0') is { } digits
                ? digits.Length == 0 ? "port 0 picks a free port, which only works for listening; give the port the peer listens on"
                : $"port {port} is out of range: a port is a number from {(allowPortZero ? 0 : 1)} to 65535"
                : $"the port '{port}' is not a number";
            return $"'{text}' is not a valid {name} address: {why}.";
        }

        return $"'{text}' is not a valid {name} address: {expected}.";
    }
}

/// <summary>
/// A <c>--wait</c> value: seconds (<c>600</c>) or a number with a unit (<c>90s</c>, <c>10m</c>, <c>1h</c>); 0 means no
/// limit (<see cref="Timeout.InfiniteTimeSpan"/>).
/// </summary>
internal static class WaitDuration
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(7);

    public static bool TryParse(string? text, out TimeSpan wait)
    {
        wait = default;
        text = text?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text)) return false;
        var unit = text[^1] switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, _ => 0.0 };
        var number = unit == 0 ? text : text[..^1];
        if (unit == 0) unit = 1;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            return false;
        var seconds = value * unit;
        if (seconds > Longest.TotalSeconds) return false;
        wait = seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
        return true;
    }
}

/// <summary>Suggestions for a mistyped command or option: the known name a small typo away (transposition included).</summary>
internal static class NameSuggestions
{
    /// <summary>
    /// The known name closest to <paramref name="typed"/>, if it is close enough to be what was meant: at most one
    /// edit for short words, two for longer ones, or an unambiguous prefix of at least three characters.
    /// </summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(known);
        var names = known.Distinct(StringComparer.Ordinal).Where(n => !n.Equals(typed, StringComparison.Ordinal)).ToList();
        var core = typed.TrimStart('-');
        var allowed = core.Length <= 4 ? 1 : 2;
        var best = names
            .Select(n => (Name: n, Distance: Distance(typed.ToLowerInvariant(), n.ToLowerInvariant())))
            .Where(c => c.Distance <= allowed && c.Distance < core.Length)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Name is not null)
            return best.Name;
        if (core.Length < 3)
            return null;
        var prefixed = names.Where(n => n.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>The optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}
