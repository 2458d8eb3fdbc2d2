using System.Text.Json;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.App.Tests.Fakes;
using SecretChat.Tests;

namespace SecretChat.App.Tests.Settings;

/// <summary>
/// The user's settings file, <c>$XDG_CONFIG_HOME/secretchat/secretchat.json</c> (else <c>~/.config/secretchat/</c>), and its
/// place among the sources: beside the program &lt; the user's file &lt; environment &lt; flags; <c>--config</c> replaces both files.
/// </summary>
public sealed class UserSettingsFileTests : IDisposable
{
    private readonly TempDirectory _program = new("secretchat-program-");
    private readonly TempDirectory _home = new("secretchat-home-");
    private readonly Dictionary<string, string?> _environment = new(StringComparer.OrdinalIgnoreCase);

    public void Dispose()
    {
        _program.Dispose();
        _home.Dispose();
    }

    private AppSettings Load(string? configFile = null, Dictionary<string, string?>? flags = null) =>
        SettingsLoader.Load(configFile, _program.Path, _environment, flags);

    private string WriteUserFile(string configHome, string json)
    {
        var folder = Path.Combine(configHome, "secretchat");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, SettingsLoader.FileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Load_WithXdgConfigHome_ReadsTheUserFileThere()
    {
        var xdg = Path.Combine(_home.Path, "xdg");
        WriteUserFile(xdg, """{ "Name": "dora", "Signaling": { "Server": "signal.example.org:3478" } }""");
        _environment["XDG_CONFIG_HOME"] = xdg;

        var settings = Load();

        Assert.Equal("dora", settings.EffectiveName);
        Assert.Equal("signal.example.org:3478", settings.Signaling.Server);
    }

    [Fact]
    public void Load_WithoutXdgConfigHome_ReadsTheUserFileUnderHomeDotConfig()
    {
        WriteUserFile(Path.Combine(_home.Path, ".config"), """{ "Name": "erin" }""");
        _environment["HOME"] = _home.Path;

        Assert.Equal("erin", Load().EffectiveName);
    }

    [Fact]
    public void Load_RelativeXdgConfigHome_IsIgnoredAsTheSpecSays()
    {
        WriteUserFile(Path.Combine(_home.Path, ".config"), """{ "Name": "erin" }""");
        _environment["HOME"] = _home.Path;
        _environment["XDG_CONFIG_HOME"] = "relative/config";

        Assert.Equal(Path.Combine(_home.Path, ".config", "secretchat", SettingsLoader.FileName), SettingsLoader.UserFile(_environment));
        Assert.Equal("erin", Load().EffectiveName);
    }

    [Fact]
    public void Load_UserFileAndFileBesideTheProgram_TheUserFileWinsKeyByKey()
    {
        _program.WriteFile(SettingsLoader.FileName, """{ "Encryption": "rsa", "Name": "program", "HandshakeTimeoutSeconds": 4 }""");
        var xdg = Path.Combine(_home.Path, "xdg");
        WriteUserFile(xdg, """{ "Name": "user", "HandshakeTimeoutSeconds": 6 }""");
        _environment["XDG_CONFIG_HOME"] = xdg;

        var settings = Load();

        Assert.Equal("user", settings.EffectiveName);
        Assert.Equal(6, settings.HandshakeTimeoutSeconds);
        Assert.Equal("rsa", settings.Encryption); // only the program's file says it
    }

    [Fact]
    public void Load_EnvironmentAndFlags_OverrideTheUserFile()
    {
        var xdg = Path.Combine(_home.Path, "xdg");
        WriteUserFile(xdg, """{ "Name": "user", "Encryption": "rsa" }""");
        _environment["XDG_CONFIG_HOME"] = xdg;
        _environment["SECRETCHAT_Encryption"] = "pseudo";

        var settings = Load(flags: new() { ["Name"] = "flag" });

        Assert.Equal("flag", settings.EffectiveName);
        Assert.Equal("pseudo", settings.Encryption);
    }

    [Fact]
    public void Load_WithConfig_ReplacesBothFiles()
    {
        _program.WriteFile(SettingsLoader.FileName, """{ "Encryption": "rsa" }""");
        var xdg = Path.Combine(_home.Path, "xdg");
        WriteUserFile(xdg, """{ "Name": "user", "HandshakeTimeoutSeconds": 6 }""");
        _environment["XDG_CONFIG_HOME"] = xdg;
        var config = _home.WriteFile("chosen.json", """{ "Name": "chosen" }""");

        var settings = Load(config);

        Assert.Equal("chosen", settings.EffectiveName);
        Assert.Equal("noise", settings.Encryption);
        Assert.Equal(10, settings.HandshakeTimeoutSeconds);
    }

    [Fact]
    public void Load_BrokenUserFile_NamesThatFile()
    {
        var xdg = Path.Combine(_home.Path, "xdg");
        var path = WriteUserFile(xdg, "{ not json");
        _program.WriteFile(SettingsLoader.FileName, """{ "Encryption": "rsa" }""");
        _environment["XDG_CONFIG_HOME"] = xdg;

        var error = Assert.Throws<SettingsException>(() => Load());

        Assert.StartsWith($"The settings file '{path}' is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UserFile_WithoutXdgOrHome_IsNone() =>
        Assert.Null(SettingsLoader.UserFile(new Dictionary<string, string?>()));

    [Fact]
    public async Task Connect_ThroughTheCommandLine_TakesTheNameFromTheUserFile()
    {
        using var app = new TestApp();
        var xdg = Path.Combine(_home.Path, "xdg");
        WriteUserFile(xdg, """{ "Name": "frank" }""");
        app.Environment["XDG_CONFIG_HOME"] = xdg;

        Assert.Equal(ExitCodes.Success, await app.RunAsync("connect --tcp 127.0.0.1:5000"));

        Assert.Equal("frank", Assert.Single(app.Fake.Connects).Name);
    }

    [Fact]
    public async Task Listen_FirstRunWithNoise_SaysOnceWhereTheIdentityWasCreated()
    {
        var identity = _home.File("keys", "identity.key");
        var pins = _home.File("keys", "known_peers.json");

        async Task<string[]> RunOnceAsync()
        {
            using var app = new TestApp(new FakeConsole("", isInputRedirected: true), new SecretChat.Chat.Composition.ChatConnector());
            using var interrupt = new CancellationTokenSource();
            var run = app.StartAsync($"listen --tcp 127.0.0.1:0 --json --identity {identity} --known-peers {pins}", interrupt.Token);
            await app.Console.WaitForOutputAsync("waiting for a peer", TestApp.Timeout);
            await interrupt.CancelAsync();
            Assert.Equal(ExitCodes.Interrupted, await run.WaitAsync(TestApp.Timeout));
            return app.Console.OutLines;
        }

        var first = await RunOnceAsync();
        var second = await RunOnceAsync();

        var said = first.Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "status")
            .Select(e => e.GetProperty("text").GetString()!)
            .Where(t => t.StartsWith("Created your identity key", StringComparison.Ordinal));
        Assert.Equal(IdentityNotice.Created(identity), Assert.Single(said));
        Assert.True(File.Exists(identity));
        Assert.DoesNotContain(second, l => l.Contains("Created your identity key", StringComparison.Ordinal));
    }
}
