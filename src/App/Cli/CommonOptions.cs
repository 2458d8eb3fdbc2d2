using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SecretChat.Chat;
using SecretChat.Cli.Settings;
using SecretChat.Security;

namespace SecretChat.Cli;

/// <summary>The options shared by the chat commands; one instance per command.</summary>
internal sealed class CommonOptions
{
    public Option<string> Encryption { get; } = new("--encryption", "-e")
    {
        Description = "How the session is protected: noise (authenticated, forward secret; the default), rsa (the original design) or pseudo (NOT ENCRYPTED, for tests).",
        HelpName = "noise|rsa|pseudo",
    };

    public Option<string> Name { get; } = new("--name", "-n")
    {
        Description = "The name you introduce yourself with (default: your OS user name).",
        HelpName = "NAME",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Scripted mode with one JSON object per line on stdout for every event.",
    };

    public Option<string> Identity { get; } = new("--identity")
    {
        Description = "Your long-term identity key file (noise); created on first use.",
        HelpName = "PATH",
    };

    public Option<string> KnownPeers { get; } = new("--known-peers")
    {
        Description = "The file of pinned peer keys (noise; default: beside the identity).",
        HelpName = "PATH",
    };

    public Option<bool> AcceptNewKey { get; } = new("--accept-new-key")
    {
        Description = "Accept and re-pin a known peer whose key has changed (only after checking the safety number with them).",
    };

    public Option<bool> RequirePq { get; } = new("--require-pq")
    {
        Description = "Refuse a peer whose handshake is not post-quantum (noise with ML-KEM-768 mixed in).",
    };

    public Option<string> Config { get; } = new("--config", "-c")
    {
        Description = "A settings file to use instead of secretchat.json beside the app; it must exist.",
        HelpName = "FILE",
    };

    public Option<string> Timeout { get; } = new("--timeout")
    {
        Description = string.Create(CultureInfo.InvariantCulture, $"Seconds that connecting plus the handshake may take (default: {HandshakeDefaults.Timeout.TotalSeconds})."),
        HelpName = "SECONDS",
    };

    public CommonOptions()
    {
        // --encryption is checked with the settings it overrides (ChatOptionsMapping.EncryptionMode): one check, one sentence.
        Timeout.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds > 0) || double.IsInfinity(seconds))
                result.AddError($"'{value}' is not a valid --timeout: give a positive number of seconds.");
        });
        Name.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
                result.AddError("--name cannot be empty.");
        });
    }

    /// <summary>Only encryption, config and timeout (for <c>demo</c>).</summary>
    public void AddMinimalTo(Command command)
    {
        command.Options.Add(Encryption);
        command.Options.Add(Config);
        command.Options.Add(Timeout);
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Encryption);
        command.Options.Add(Name);
        command.Options.Add(Json);
        command.Options.Add(Identity);
        command.Options.Add(KnownPeers);
        command.Options.Add(AcceptNewKey);
        command.Options.Add(RequirePq);
        command.Options.Add(Config);
        command.Options.Add(Timeout);
    }

    /// <summary>The flags that override settings, as configuration keys (the last configuration source).</summary>
    public Dictionary<string, string?> SettingsFlags(ParseResult parse)
    {
        var flags = new Dictionary<string, string?>();
        Put(flags, nameof(AppSettings.Encryption), parse, Encryption);
        Put(flags, nameof(AppSettings.Name), parse, Name);
        Put(flags, nameof(AppSettings.IdentityPath), parse, Identity);
        Put(flags, nameof(AppSettings.KnownPeersPath), parse, KnownPeers);
        Put(flags, nameof(AppSettings.HandshakeTimeoutSeconds), parse, Timeout);
        if (parse.GetResult(RequirePq) is { Implicit: false } && parse.GetValue(RequirePq))
            flags[nameof(AppSettings.RequirePostQuantum)] = "true";
        return flags;
    }

    internal static void Put(Dictionary<string, string?> flags, string key, ParseResult parse, Option<string> option)
    {
        if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is { } value)
            flags[key] = value.Trim();
    }
}
