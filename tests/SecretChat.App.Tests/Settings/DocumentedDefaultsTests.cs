using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SecretChat.Chat;
using SecretChat.Cli.Settings;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Signaling;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Tests;
using SecretChat.Transport.Reliability;

namespace SecretChat.App.Tests.Settings;

/// <summary>The defaults docs/OPERATIONS.md documents (settings, signaling server) are the ones the code uses, from settings down to the options types.</summary>
public partial class DocumentedDefaultsTests
{
    private static readonly JsonElement Documented = SettingsExample();

    [Fact]
    public void AppSettings_Defaults_AreTheDocumentedOnes()
    {
        var defaults = new AppSettings();

        Assert.Equal(Documented.GetProperty("Encryption").GetString(), defaults.Encryption);
        Assert.Equal(Documented.GetProperty("HandshakeTimeoutSeconds").GetDouble(), defaults.HandshakeTimeoutSeconds);
        Assert.Equal(Documented.GetProperty("Signaling").GetProperty("Server").GetString(), defaults.Signaling.Server);
        Assert.Equal(Documented.GetProperty("Signaling").GetProperty("Listen").GetString(), defaults.Signaling.Listen);
        Assert.Equal(Documented.GetProperty("Udp").GetProperty("KeepAliveSeconds").GetDouble(), defaults.Udp.KeepAliveSeconds);
        Assert.Equal(Documented.GetProperty("Udp").GetProperty("DeadPeerSeconds").GetDouble(), defaults.Udp.DeadPeerSeconds);
        Assert.Equal(Documented.GetProperty("P2p").GetProperty("RelayFallbackSeconds").GetDouble(), defaults.P2p.RelayFallbackSeconds);
    }

    [Fact]
    public void OptionsTypes_Defaults_AreTheDocumentedOnes()
    {
        Assert.Equal(Seconds("HandshakeTimeoutSeconds"), HandshakeDefaults.Timeout);
        Assert.Equal(HandshakeDefaults.Timeout, DatagramChannelOptions.Default.HandshakeTimeout);
        Assert.Equal(Seconds("P2p", "RelayFallbackSeconds"), PeerToPeerOptions.Default.RelayFallback);
        Assert.Equal(Seconds("Udp", "KeepAliveSeconds"), ReliabilityOptions.Default.KeepAliveInterval);
        Assert.Equal(Seconds("Udp", "DeadPeerSeconds"), ReliabilityOptions.Default.DeadPeerTimeout);
        Assert.Equal(ReliabilityOptions.Default.KeepAliveInterval, new ReliabilityOptions().KeepAliveInterval);
    }

    [Fact]
    public void ToChatOptions_DefaultSettings_GiveTheChatOptionsDefaults()
    {
        var mapped = new AppSettings().ToChatOptions(ChatTransport.PeerToPeer, "127.0.0.1:3478");
        var unset = new ChatOptions { EndPoint = "127.0.0.1:3478" };

        Assert.Equal(unset.HandshakeTimeout, mapped.HandshakeTimeout);
        Assert.Equal(unset.RelayFallback, mapped.RelayFallback);
        Assert.Equal(unset.KeepAliveInterval, mapped.KeepAliveInterval);
        Assert.Equal(unset.DeadPeerTimeout, mapped.DeadPeerTimeout);
        Assert.Equal(unset.Encryption, mapped.Encryption);
    }

    [Fact]
    public void SignalingServer_Defaults_AreTheOnesTheOperationsGuideDescribes()
    {
        var defaults = new SignalingServerOptions();
        var readme = Whitespace().Replace(OperationsGuide(), " "); // sentences wrap across lines

        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"rooms expire after {defaults.RoomTtl.TotalSeconds} s idle"), readme);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"at most {defaults.MaxRooms:N0} rooms"), readme);
        Assert.Contains(
            $"(default {defaults.RelayBytesPerSecond / 1024} KiB/s with {defaults.RelayBurstBytes / (1024 * 1024)} MiB bursts and {defaults.RelayTotalBytes / (1024 * 1024)} MiB in all",
            readme);
    }

    private static TimeSpan Seconds(params string[] path)
    {
        var element = Documented;
        foreach (var name in path)
            element = element.GetProperty(name);
        return TimeSpan.FromSeconds(element.GetDouble());
    }

    /// <summary>The JSON example under the operations guide's "Settings" heading.</summary>
    private static JsonElement SettingsExample()
    {
        var guide = OperationsGuide();
        var section = guide[guide.IndexOf("## Settings", StringComparison.Ordinal)..];
        var json = JsonBlock().Match(section);
        Assert.True(json.Success, "The settings section of docs/OPERATIONS.md has no ```json example.");
        return JsonDocument.Parse(json.Groups["json"].Value).RootElement.Clone();
    }

    private static string OperationsGuide() =>
        File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "OPERATIONS.md")).ReplaceLineEndings("\n");

    [GeneratedRegex("\\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex("```json\\n(?<json>.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
