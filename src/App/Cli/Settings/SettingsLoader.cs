using System.Collections;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SecretChat.Transport;

namespace SecretChat.Cli.Settings;

/// <summary>
/// Merges the settings sources in order of precedence: defaults &lt; file &lt; environment &lt; flags.
/// </summary>
internal static class SettingsLoader
{
    public const string FileName = "secretchat.json";
    public const string EnvironmentPrefix = "SECRETCHAT_";

    /// <param name="configFile"><c>--config FILE</c>: must exist and parse. Null means the optional <see cref="FileName"/> in <paramref name="baseDirectory"/>.</param>
    /// <param name="baseDirectory">Where the app lives (the optional settings file sits beside it).</param>
    /// <param name="environment">Environment variables (all of them; only <see cref="EnvironmentPrefix"/> ones are read).</param>
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
        string? file;
        if (configFile is not null)
        {
            file = Path.GetFullPath(configFile);
            if (!File.Exists(file))
                throw new SettingsException($"The settings file '{configFile}' does not exist.");
        }
        else
        {
            file = Path.Combine(baseDirectory, FileName);
            if (!File.Exists(file)) file = null;
        }

        if (file is not null)
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
        catch (InvalidDataException ex) when (file is not null)
        {
            var detail = ex.InnerException is JsonException json ? json.Message : ex.Message;
            throw new SettingsException($"The settings file '{configFile ?? file}' is not valid JSON: {detail}", ex);
        }
        catch (IOException ex) when (file is not null)
        {
            throw new SettingsException($"The settings file '{configFile ?? file}' cannot be read: {ex.Message}", ex);
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
        if (!HostPort.TryParse(settings.Signaling.Server, allowPortZero: false, out _))
            throw new SettingsException($"The signaling server setting '{settings.Signaling.Server}' is not HOST:PORT.");
        if (!HostPort.TryParse(settings.Signaling.Listen, allowPortZero: true, out _))
            throw new SettingsException($"The signaling listen setting '{settings.Signaling.Listen}' is not ADDR:PORT.");
    }
}
