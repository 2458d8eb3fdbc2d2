using SecretChat.Cli.Settings;

namespace SecretChat.App.Tests.Settings;

/// <summary>Signaling:Server may name several nodes of one deployment (issue 18), in the file or the environment.</summary>
public sealed class SignalingServerListSettingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("secretchat-settings-").FullName;
    private readonly Dictionary<string, string?> _environment = new(StringComparer.OrdinalIgnoreCase);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private AppSettings Load() => SettingsLoader.Load(null, _folder, _environment, null);

    private void Write(string json) => File.WriteAllText(Path.Combine(_folder, SettingsLoader.FileName), json);

    [Fact]
    public void Load_ServerListInTheFile_IsKeptAsWritten()
    {
        Write("""{ "Signaling": { "Server": "a.example:3478,b.example:3478" } }""");

        Assert.Equal("a.example:3478,b.example:3478", Load().Signaling.Server);
    }

    [Fact]
    public void Load_ServerListInTheEnvironment_IsKeptAsWritten()
    {
        _environment["SECRETCHAT_Signaling__Server"] = "a.example:1, b.example:2";

        Assert.Equal("a.example:1, b.example:2", Load().Signaling.Server);
    }

    [Theory]
    [InlineData("a.example:3478,")]
    [InlineData("a.example:3478,b.example")]
    [InlineData(",")]
    public void Load_BadServerList_IsRefusedWithOneSentence(string list)
    {
        Write($$"""{ "Signaling": { "Server": "{{list}}" } }""");

        var error = Assert.Throws<SettingsException>(Load);

        Assert.Equal($"The signaling server setting '{list}' is not HOST:PORT (or several, separated by commas).", error.Message);
    }
}
