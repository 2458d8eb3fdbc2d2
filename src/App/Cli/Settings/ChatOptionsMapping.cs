using System.Net;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.Cli.Settings;

/// <summary>The one place where merged settings become <see cref="ChatOptions"/>.</summary>
internal static class ChatOptionsMapping
{
    public static ChatOptions ToChatOptions(this AppSettings settings, ChatTransport transport, string endPoint, bool acceptNewPeerKey = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(endPoint);
        return new ChatOptions
        {
            Transport = transport,
            EndPoint = endPoint.Trim(),
            Encryption = settings.EncryptionMode(),
            Name = OwnName(settings.EffectiveName),
            IdentityPath = string.IsNullOrWhiteSpace(settings.IdentityPath) ? null : settings.IdentityPath,
            KnownPeersPath = string.IsNullOrWhiteSpace(settings.KnownPeersPath) ? null : settings.KnownPeersPath,
            AcceptNewPeerKey = acceptNewPeerKey,
            PostQuantum = settings.PostQuantum,
            RequirePostQuantum = settings.RequirePostQuantum,
            HandshakeTimeout = TimeSpan.FromSeconds(settings.HandshakeTimeoutSeconds),
            KeepAliveInterval = Positive(settings.Udp.KeepAliveSeconds, "Udp:KeepAliveSeconds"),
            DeadPeerTimeout = Positive(settings.Udp.DeadPeerSeconds, "Udp:DeadPeerSeconds"),
            LocalAddress = BindAddress(settings.P2p.Bind),
            RelayFallback = settings.P2p.RelayFallbackSeconds switch
            {
                0 => null,
                > 0 and < 3600 => TimeSpan.FromSeconds(settings.P2p.RelayFallbackSeconds),
                var other => throw new SettingsException($"The setting P2p:RelayFallbackSeconds must be between 0 (never relay) and 3600; it is {other}."),
            },
        };
    }

    /// <summary>
    /// The mode the <see cref="AppSettings.Encryption"/> text names: the one place it is checked, whether it came from
    /// the file, the environment or <c>--encryption</c>.
    /// </summary>
    /// <exception cref="SettingsException">The text names no mode.</exception>
    public static SecurityModuleInfo EncryptionMode(this AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return BuiltInModules.TryFind(settings.Encryption, out var mode)
            ? mode
            : throw new SettingsException($"The encryption setting '{settings.Encryption}' is not one of noise, rsa or pseudo.");
    }

    /// <summary>Our name, checked as the peer will check it (<see cref="PeerName"/>), before anything is sent.</summary>
    /// <exception cref="SettingsException">The name is not allowed.</exception>
    public static string OwnName(string name) =>
        PeerName.TryParse(name, out var valid, out var problem)
            ? valid.Value
            : throw new SettingsException($"The name {PeerName.Visible(name)} (--name or the Name setting) is not allowed: {problem}; choose another name.");

    private static IPAddress? BindAddress(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : IPAddress.TryParse(text.Trim(), out var address) ? address
        : throw new SettingsException($"The setting P2p:Bind must be a local IP address such as 127.0.0.1, 0.0.0.0 or ::; it is '{text}'.");

    private static TimeSpan Positive(double seconds, string name)
    {
        if (!(seconds > 0) || double.IsInfinity(seconds))
            throw new SettingsException($"The setting {name} must be a positive number of seconds; it is {seconds}.");
        return TimeSpan.FromSeconds(seconds);
    }
}
