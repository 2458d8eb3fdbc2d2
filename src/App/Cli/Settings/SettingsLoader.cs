using System.Collections;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SecretChat.Chat.Composition;
using SecretChat.Transport;

namespace SecretChat.Cli.Settings;

/// <summary>
/// Merges the settings sources in order of precedence: defaults &lt; <c>secretchat.json</c> beside the program &lt;
/// the user's <c>$XDG_CONFIG_HOME/secretchat/secretchat.json</c> (else <c>~/.config/secretchat/secretchat.json</c>,
/// where the identity lives) &lt; environment &lt; flags. <c>--config FILE</c> stands in for both files.
/// </summary>
internal static class SettingsLoader
{
    public const string FileName = "secretchat.json";
    public const string EnvironmentPrefix = "SECRETCHAT_";

    /// <param name="configFile"><c>--config FILE</c>: must exist and parse. Null means the optional <see cref="FileName"/> in <paramref name="baseDirectory"/>, then the user's (<see cref="UserFile"/>).</param>
    /// <param name="baseDirectory">Where the app lives (the optional settings file sits beside it).</param>
    /// <param name="environment">Environment variables (all of them; only <see cref="EnvironmentPrefix"/> ones, and XDG_CONFIG_HOME and HOME for the user's file, are read).</param>
    /// <param name="flags">Settings given on the command line, as configuration keys (<c>Encryption</c>, <c>Signaling:Server</c>).</param>
    /// <exception cref="SettingsException">A file is missing or malformed, or a value is invalid.</exception>
    public static AppSettings Load(
        string? configFile,
        string baseDirectory,
        IReadOnlyDictionary<string, string?> environment,
        IReadOnlyDictionary<string, string?>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        ArgumentNullException.ThrowIfNull(environment);

        var builder = new ConfigurationBuilder();
        var files = new List<(string Path, string Shown)>();
        if (configFile is not null)
        {
            var file = Path.GetFullPath(configFile);
            if (!File.Exists(file))
                throw new SettingsException($"The settings file '{configFile}' does not exist.");
            files.Add((file, configFile));
        }
        else
        {
            foreach (var candidate in new[] { Path.Combine(baseDirectory, FileName), UserFile(environment) })
            {
                if (candidate is not null && File.Exists(candidate) && !files.Any(f => f.Path == Path.GetFullPath(candidate)))
                    files.Add((Path.GetFullPath(candidate), candidate));
            }
        }

        foreach (var (file, _) in files)
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);

        // Same mapping as AddEnvironmentVariables(prefix), from an injected snapshot so tests need not mutate the process.
        builder.AddInMemoryCollection(FromEnvironment(environment));
        if (flags is not null)
            builder.AddInMemoryCollection(flags);

        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException ex) when (files.Count > 0)
        {
            var detail = ex.InnerException is JsonException json ? json.Message : ex.Message;
            throw new SettingsException($"The settings file '{Culprit(files, ex)}' is not valid JSON: {detail}", ex);
        }
        catch (IOException ex) when (files.Count > 0)
        {
            throw new SettingsException($"The settings file '{Culprit(files, ex)}' cannot be read: {ex.Message}", ex);
        }

        var settings = new AppSettings();
        try
        {
            configuration.Bind(settings);
        }
        catch (InvalidOperationException ex)
        {
            throw new SettingsException($"A setting has a value of the wrong type: {ex.Message}", ex);
        }

        Validate(settings);
        return settings;
    }

    /// <summary>
    /// The user's settings file: <c>$XDG_CONFIG_HOME/secretchat/secretchat.json</c> when XDG_CONFIG_HOME is an absolute
    /// path (the XDG spec ignores a relative one), else <c>$HOME/.config/secretchat/secretchat.json</c>; null without either.
    /// The same folder as the identity key (IdentityStore).
    /// </summary>
    public static string? UserFile(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue("XDG_CONFIG_HOME", out var xdg) && !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "secretchat", FileName);
        if (environment.TryGetValue("HOME", out var home) && !string.IsNullOrEmpty(home) && Path.IsPathRooted(home))
            return Path.Combine(home, ".config", "secretchat", FileName);
        return null;
    }

    /// <summary>Which file failed: the one the error names, else the last (the parser names the file in its message).</summary>
    private static string Culprit(List<(string Path, string Shown)> files, Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            foreach (var (path, shown) in files)
            {
                if (e.Message.Contains(path, StringComparison.Ordinal))
                    return shown;
            }
        }

        return files[^1].Shown;
    }

    /// <summary>The process environment as a dictionary, for <see cref="Load"/>.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            result[(string)entry.Key] = entry.Value as string;
        return result;
    }

    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var (key, value) in environment)
        {
            if (key.Length > EnvironmentPrefix.Length && key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var name = key[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
                yield return new(name, value);
            }
        }
    }

    private static void Validate(AppSettings settings)
    {
        settings.EncryptionMode();
        if (!(settings.HandshakeTimeoutSeconds > 0) || double.IsInfinity(settings.HandshakeTimeoutSeconds))
            throw new SettingsException(
                $"The handshake timeout must be a positive number of seconds, not {settings.HandshakeTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}.");
        if (!SignalingServerList.TryParse(settings.Signaling.Server, out _, out _))
            throw new SettingsException($"The signaling server setting '{settings.Signaling.Server}' is not HOST:PORT (or several, separated by commas).");
        if (!HostPort.TryParse(settings.Signaling.Listen, allowPortZero: true, out _))
            throw new SettingsException($"The signaling listen setting '{settings.Signaling.Listen}' is not ADDR:PORT.");
    }
}
