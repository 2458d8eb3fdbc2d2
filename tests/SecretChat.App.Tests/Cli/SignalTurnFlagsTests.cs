using System.Text;
using SecretChat.Chat;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;

namespace SecretChat.App.Tests.Cli;

/// <summary><c>secretchat signal --turn HOST:PORT --turn-secret-file PATH</c>: the secret file is hostile input.</summary>
public class SignalTurnFlagsTests
{
    private static string Secret(TestApp app, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = app.WriteFile("turn.secret", text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public async Task Signal_WithTurn_SaysWhichTurnServerPeersRelayThrough()
    {
        using var app = new TestApp();
        var path = Secret(app, "  north-wind\n");
        using var interrupt = new CancellationTokenSource();
        var run = new CliApp(app.Console, _ => app.Connector, app.Environment, app.BaseDirectory)
            .RunAsync(["signal", "--listen", "127.0.0.1:0", "--turn", "127.0.0.1:3479", "--turn-secret-file", path], interrupt.Token);

        await app.Console.WaitForOutputAsync("TURN", TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains("p2p peers relay through the TURN server at 127.0.0.1:3479 (credentials valid 60 min, renewed while they stay)", app.Console.OutText);
        Assert.DoesNotContain("north-wind", app.Console.OutText + app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData(" \r\n\t \n", "is empty")]
    public async Task Signal_EmptySecretFile_IsRefusedWithASentence(string contents, string expected)
    {
        using var app = new TestApp();
        var path = Secret(app, contents);

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {path}"));

        Assert.Contains($"The TURN secret file {path} {expected}", app.Console.ErrorText);
    }

    [Fact]
    public async Task Signal_SecretFileReadableByOthers_IsRefusedLikeAnIdentityFile()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix file modes
        using var app = new TestApp();
        var path = Secret(app, "north-wind", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {path}"));

        Assert.Contains($"The TURN secret file {path} can be accessed by other users (mode 0644)", app.Console.ErrorText);
        Assert.Contains($"chmod 600 {path}", app.Console.ErrorText);
        Assert.DoesNotContain("north-wind", app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signal_SecretFileTooLarge_IsRefusedWithoutReadingItAll()
    {
        using var app = new TestApp();
        var path = Secret(app, new string('s', SignalTurnFlags.MaxFileBytes + 1));

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {path}"));

        Assert.Contains($"The TURN secret file {path} is {SignalTurnFlags.MaxFileBytes + 1} bytes; a secret file is at most {SignalTurnFlags.MaxFileBytes}", app.Console.ErrorText);
    }

    [Fact]
    public async Task Signal_SecretLongerThanTaken_IsRefused()
    {
        using var app = new TestApp();
        var path = Secret(app, new string('s', 1025) + "\n");

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {path}"));

        Assert.Contains($"The TURN secret in {path} is 1025 bytes; at most 1024 are taken.", app.Console.ErrorText);
    }

    [Fact]
    public async Task Signal_MissingSecretFileOrAFolder_IsRefusedWithASentence()
    {
        using var app = new TestApp();
        var missing = Path.Combine(app.BaseDirectory, "nowhere.secret");

        Assert.Equal(ExitCodes.Usage, await app.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {missing}"));
        Assert.Contains($"The TURN secret file {missing} does not exist", app.Console.ErrorText);

        using var again = new TestApp();
        Assert.Equal(ExitCodes.Usage, await again.RunAsync($"signal --listen 127.0.0.1:0 --turn 127.0.0.1:3479 --turn-secret-file {again.BaseDirectory}"));
        Assert.Contains("is a folder", again.Console.ErrorText);
    }

    [Theory]
    [InlineData("signal --turn 127.0.0.1:3479", "--turn 127.0.0.1:3479 needs --turn-secret-file PATH")]
    [InlineData("signal --turn-secret-file x", "--turn-secret-file needs --turn HOST:PORT")]
    [InlineData("signal --turn nowhere --turn-secret-file x", "'nowhere' is not a valid --turn")]
    [InlineData("signal --turn 127.0.0.1:0 --turn-secret-file x", "'127.0.0.1:0' is not a valid --turn")]
    public async Task Signal_TurnFlagsIncomplete_AreAnErrorSayingWhy(string commandLine, string expected)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        Assert.Contains(expected, app.Console.ErrorText);
    }

    [Fact]
    public async Task Signal_TurnFromSettings_IsUsedLikeTheFlags()
    {
        using var app = new TestApp();
        var path = Secret(app, "north-wind");
        app.Environment["SECRETCHAT_Signaling__Turn"] = "127.0.0.1:3479";

        Assert.Equal(ExitCodes.Usage, await app.RunAsync("signal --listen 127.0.0.1:0"));
        Assert.Contains("needs --turn-secret-file PATH", app.Console.ErrorText);

        using var complete = new TestApp();
        complete.Environment["SECRETCHAT_Signaling__Turn"] = "127.0.0.1:3479";
        complete.Environment["SECRETCHAT_Signaling__TurnSecretFile"] = path;
        using var interrupt = new CancellationTokenSource();
        var run = new CliApp(complete.Console, _ => complete.Connector, complete.Environment, complete.BaseDirectory)
            .RunAsync(["signal", "--listen", "127.0.0.1:0"], interrupt.Token);
        await complete.Console.WaitForOutputAsync("TURN", TestApp.Timeout);
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains("relay through the TURN server at 127.0.0.1:3479", complete.Console.OutText);
    }

    [Fact]
    public void ReadSecret_TrimsTheWhitespaceAroundItOnly()
    {
        using var app = new TestApp();
        var path = Secret(app, "\n  north wind\t\r\n");

        Assert.Equal(Encoding.UTF8.GetBytes("north wind"), SignalTurnFlags.ReadSecret(path));
    }
}
