using SecretChat.Chat;
using SecretChat.Cli.Settings;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Settings;

public sealed class SettingsLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("secretchat-settings-").FullName;
    private readonly Dictionary<string, string?> _environment = new(StringComparer.OrdinalIgnoreCase);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private AppSettings Load(string? configFile = null, Dictionary<string, string?>? flags = null) =>
        SettingsLoader.Load(configFile, _folder, _environment, flags);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Load_WithNothing_GivesTheDefaults()
    {
        var settings = Load();

        Assert.Equal("noise", settings.Encryption);
        Assert.Equal(10, settings.HandshakeTimeoutSeconds);
        Assert.Equal("127.0.0.1:3478", settings.Signaling.Server);
        Assert.Equal("[::]:3478", settings.Signaling.Listen); // both families (issue 19)
        Assert.Null(settings.IdentityPath);
        Assert.False(string.IsNullOrWhiteSpace(settings.EffectiveName));
    }

    [Fact]
    public void Load_WithAFileBesideTheApp_OverridesTheDefaults()
    {
        Write(SettingsLoader.FileName, """{ "Encryption": "rsa", "Name": "carol", "Signaling": { "Server": "signal.example.org:3478" } }""");

        var settings = Load();

        Assert.Equal("rsa", settings.Encryption);
        Assert.Equal("carol", settings.EffectiveName);
        Assert.Equal("signal.example.org:3478", settings.Signaling.Server);
        Assert.Equal(10, settings.HandshakeTimeoutSeconds);
    }

    [Fact]
    public void Load_WithConfigFlag_ReadsThatFileInsteadOfTheOneBesideTheApp()
    {
        Write(SettingsLoader.FileName, """{ "Encryption": "rsa" }""");
        var other = Write("other.json", """{ "HandshakeTimeoutSeconds": 3 }""");

        var settings = Load(other);

        Assert.Equal("noise", settings.Encryption);
        Assert.Equal(3, settings.HandshakeTimeoutSeconds);
    }

    [Fact]
    public void Load_WithEnvironment_OverridesTheFile()
    {
        Write(SettingsLoader.FileName, """{ "Encryption": "rsa", "HandshakeTimeoutSeconds": 3, "Signaling": { "Server": "a.example:1" } }""");
        _environment["SECRETCHAT_Encryption"] = "pseudo";
        _environment["SECRETCHAT_Signaling__Server"] = "b.example:2";
        _environment["OTHER_Encryption"] = "noise";

        var settings = Load();

        Assert.Equal("pseudo", settings.Encryption);
        Assert.Equal("b.example:2", settings.Signaling.Server);
        Assert.Equal(3, settings.HandshakeTimeoutSeconds);
    }

    [Fact]
    public void Load_UdpTimersInTheEnvironment_ReachTheChatOptions()
    {
        _environment["SECRETCHAT_Udp__KeepAliveSeconds"] = "5";
        _environment["SECRETCHAT_Udp__DeadPeerSeconds"] = "12.5";

        var options = Load().ToChatOptions(ChatTransport.Udp, "127.0.0.1:1");

        Assert.Equal(TimeSpan.FromSeconds(5), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(12.5), options.DeadPeerTimeout);
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("5", 5.0)]
    public void Load_RelayFallback_ZeroNeverRelays(string value, double? seconds)
    {
        _environment["SECRETCHAT_P2p__RelayFallbackSeconds"] = value;

        var options = Load().ToChatOptions(ChatTransport.PeerToPeer, "127.0.0.1:3478");

        Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value), options.RelayFallback);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::", "::")]
    public void Load_P2pBind_BecomesTheLocalAddress(string? value, string? expected)
    {
        _environment["SECRETCHAT_P2p__Bind"] = value;

        var options = Load().ToChatOptions(ChatTransport.PeerToPeer, "127.0.0.1:3478");

        Assert.Equal(expected, options.LocalAddress?.ToString());
    }

    [Theory]
    [InlineData("alice\u200B", "The name 'alice<U+200B>' (--name or the Name setting) is not allowed: it holds an invisible formatting character U+200B; choose another name.")]
    [InlineData("\u202Eecila", "The name '<U+202E>ecila' (--name or the Name setting) is not allowed: it holds a bidirectional text control U+202E; choose another name.")]
    public void Load_NameNotAllowed_IsASettingsErrorBeforeAnythingIsSent(string name, string message)
    {
        _environment["SECRETCHAT_Name"] = name;

        var error = Assert.Throws<SettingsException>(() => Load().ToChatOptions(ChatTransport.Tcp, "127.0.0.1:1"));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Load_NameInCompatibilityForm_IsNormalized()
    {
        _environment["SECRETCHAT_Name"] = "ａｌｉｃｅ";
        Assert.Equal("alice", Load().ToChatOptions(ChatTransport.Tcp, "127.0.0.1:1").Name);
    }

    [Fact]
    public void Load_P2pBindNotAnAddress_IsASettingsErrorNamingIt()
    {
        _environment["SECRETCHAT_P2p__Bind"] = "my-laptop";

        var error = Assert.Throws<SettingsException>(() => Load().ToChatOptions(ChatTransport.PeerToPeer, "127.0.0.1:3478"));

        Assert.Contains("P2p:Bind", error.Message);
    }

    [Fact]
    public void Load_NonPositiveUdpTimer_IsASettingsErrorNamingIt()
    {
        _environment["SECRETCHAT_Udp__DeadPeerSeconds"] = "0";

        var error = Assert.Throws<SettingsException>(() => Load().ToChatOptions(ChatTransport.Udp, "127.0.0.1:1"));

        Assert.Contains("Udp:DeadPeerSeconds", error.Message);
    }

    [Fact]
    public void Load_WithFlags_OverridesTheEnvironment()
    {
        Write(SettingsLoader.FileName, """{ "Encryption": "rsa", "Name": "file" }""");
        _environment["SECRETCHAT_Encryption"] = "pseudo";
        _environment["SECRETCHAT_Name"] = "env";

        var settings = Load(flags: new() { ["Encryption"] = "noise" });

        Assert.Equal("noise", settings.Encryption);
        Assert.Equal("env", settings.EffectiveName);
    }

    [Fact]
    public void Load_WithAMissingConfigFile_NamesTheFile()
    {
        var ex = Assert.Throws<SettingsException>(() => Load("nowhere/secretchat.json"));

        Assert.Equal("The settings file 'nowhere/secretchat.json' does not exist.", ex.Message);
    }

    [Fact]
    public void Load_WithAMalformedConfigFile_NamesTheFileAndTheProblem()
    {
        var path = Write("broken.json", "{ \"Encryption\": \"rsa\", ");

        var ex = Assert.Throws<SettingsException>(() => Load(path));

        Assert.StartsWith($"The settings file '{path}' is not valid JSON", ex.Message);
    }

    [Fact]
    public void Load_WithAMalformedFileBesideTheApp_NamesTheFile()
    {
        var path = Write(SettingsLoader.FileName, "not json");

        var ex = Assert.Throws<SettingsException>(() => Load());

        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("SECRETCHAT_Encryption", "tls", "encryption setting 'tls'")]
    [InlineData("SECRETCHAT_HandshakeTimeoutSeconds", "-1", "positive number of seconds")]
    [InlineData("SECRETCHAT_HandshakeTimeoutSeconds", "soon", "HandshakeTimeoutSeconds")]
    [InlineData("SECRETCHAT_Signaling__Server", "nowhere", "signaling server setting 'nowhere'")]
    public void Load_WithAnInvalidValue_SaysWhichSetting(string variable, string value, string expected)
    {
        _environment[variable] = value;

        var ex = Assert.Throws<SettingsException>(() => Load());

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void ToChatOptions_EverySetting_IsMapped()
    {
        var settings = new AppSettings { Encryption = "pseudo", Name = " dave ", IdentityPath = "id", KnownPeersPath = "", HandshakeTimeoutSeconds = 1.5 };

        var options = settings.ToChatOptions(ChatTransport.Udp, " 127.0.0.1:9 ", acceptNewPeerKey: true);

        Assert.Equal(ChatTransport.Udp, options.Transport);
        Assert.Equal("127.0.0.1:9", options.EndPoint);
        Assert.Equal(BuiltInModules.Pseudo, options.Encryption);
        Assert.Equal("dave", options.Name);
        Assert.Equal("id", options.IdentityPath);
        Assert.Null(options.KnownPeersPath);
        Assert.True(options.AcceptNewPeerKey);
        Assert.Equal(TimeSpan.FromSeconds(1.5), options.HandshakeTimeout);
    }
}

public class SettingsPrecedenceThroughTheCommandLineTests
{
    [Fact]
    public async Task Connect_SettingsFromEverySource_TakesEachFromTheStrongest()
    {
        using var app = new TestApp();
        var config = app.WriteFile("custom.json", """{ "Encryption": "rsa", "Name": "from-file", "HandshakeTimeoutSeconds": 4, "IdentityPath": "file.key" }""");
        app.Environment["SECRETCHAT_Name"] = "from-env";
        app.Environment["SECRETCHAT_HandshakeTimeoutSeconds"] = "5";

        Assert.Equal(0, await app.RunAsync($"connect --tcp 127.0.0.1:5000 --config {config} --timeout 6"));

        var options = Assert.Single(app.Fake.Connects);
        Assert.Equal(BuiltInModules.Rsa, options.Encryption);            // file beats default
        Assert.Equal("from-env", options.Name);                         // environment beats file
        Assert.Equal(TimeSpan.FromSeconds(6), options.HandshakeTimeout); // flag beats environment
        Assert.Equal("file.key", options.IdentityPath);
    }

    [Fact]
    public async Task Connect_WithAMissingConfigFile_SaysSoAndExitsTwo()
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync("connect --tcp 127.0.0.1:5000 --config missing.json"));

        Assert.Equal("The settings file 'missing.json' does not exist.", app.Console.ErrorText.Trim());
        Assert.Empty(app.Fake.Connects);
    }

    [Fact]
    public async Task Connect_WithAMalformedConfigFile_NamesItAndExitsTwo()
    {
        using var app = new TestApp();
        var config = app.WriteFile("bad.json", "{ nope");

        Assert.Equal(2, await app.RunAsync($"listen --tcp 127.0.0.1:0 -c {config}"));

        Assert.Contains($"'{config}' is not valid JSON", app.Console.ErrorText);
        Cli.CommandLineTests.AssertOneSentence(app.Console.ErrorText);
    }

    [Fact]
    public async Task Connect_WithABadModeInTheEnvironment_ExitsTwo()
    {
        using var app = new TestApp();
        app.Environment["SECRETCHAT_ENCRYPTION"] = "none";

        Assert.Equal(2, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        Assert.Equal("The encryption setting 'none' is not one of noise, rsa or pseudo.", app.Console.ErrorText.Trim());
    }
}
