using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;

namespace SecretChat.App.Tests.Cli;

/// <summary>Mistyped commands and options get a suggestion; a bad address says what is wrong with it.</summary>
public class UsageErrorTests
{
    [Theory]
    [InlineData("lisen --tcp 127.0.0.1:5000", "listen", "secretchat --help")]
    [InlineData("conect --tcp 127.0.0.1:5000", "connect", "secretchat --help")]
    [InlineData("netchek", "netcheck", "secretchat --help")]
    [InlineData("connect --tcp 127.0.0.1:5000 --encyption rsa", "--encryption", "secretchat connect --help")]
    [InlineData("connect --tcp 127.0.0.1:5000 --naem alice", "--name", "secretchat connect --help")]
    [InlineData("listen --tpc 127.0.0.1:5000", "--tcp", "secretchat listen --help")]
    [InlineData("p2p --room x --wiat 5m", "--wait", "secretchat p2p --help")]
    public async Task Run_MistypedName_SuggestsTheOneMeant(string commandLine, string meant, string help)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        var typo = commandLine.Split(' ').First(t => NameSuggestions.Closest(t, [meant]) == meant);
        Assert.Equal($"Unrecognized command or argument '{typo}'. Did you mean '{meant}'? (see '{help}')", app.Console.ErrorText.Trim());
        Assert.Empty(app.Fake.Connects);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("connect --tcp 127.0.0.1:5000 --zzzzzz")]
    public async Task Run_WordFarFromAnyName_SuggestsNothing(string commandLine)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        Assert.DoesNotContain("Did you mean", app.Console.ErrorText, StringComparison.Ordinal);
        Assert.StartsWith("Unrecognized command or argument", app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lisen", "listen", 1)]
    [InlineData("--encyption", "--encryption", 1)]
    [InlineData("conncet", "connect", 1)] // a transposition is one edit
    [InlineData("signal", "signal", 0)]
    [InlineData("abc", "xyz", 3)]
    [InlineData("", "ui", 2)]
    public void NameSuggestions_Distance_CountsEditsAndTranspositions(string a, string b, int expected)
    {
        Assert.Equal(expected, NameSuggestions.Distance(a, b));
        Assert.Equal(expected, NameSuggestions.Distance(b, a));
    }

    [Fact]
    public void NameSuggestions_Closest_TakesAnUnambiguousPrefixOnly()
    {
        Assert.Equal("--encryption", NameSuggestions.Closest("--encr", ["--encryption", "--name"]));
        Assert.Null(NameSuggestions.Closest("--relay", ["--relay-rate", "--relay-burst"]));
        Assert.Null(NameSuggestions.Closest("ui", ["ui"])); // the name itself is not a suggestion
    }

    [Fact]
    public void NameSuggestions_ArgumentChecking()
    {
        Assert.Equal("typed", Assert.Throws<ArgumentNullException>(() => NameSuggestions.Closest(null!, [])).ParamName);
        Assert.Equal("known", Assert.Throws<ArgumentNullException>(() => NameSuggestions.Closest("x", null!)).ParamName);
    }

    [Theory]
    [InlineData("connect --tcp 127.0.0.1:99999", "'127.0.0.1:99999' is not a valid --tcp address: port 99999 is out of range: a port is a number from 1 to 65535.")]
    [InlineData("listen --udp 0.0.0.0:70000", "'0.0.0.0:70000' is not a valid --udp address: port 70000 is out of range: a port is a number from 0 to 65535.")]
    [InlineData("connect --udp [::1]:123456789012", "'[::1]:123456789012' is not a valid --udp address: port 123456789012 is out of range: a port is a number from 1 to 65535.")]
    [InlineData("connect --tcp 127.0.0.1:0", "'127.0.0.1:0' is not a valid --tcp address: port 0 picks a free port, which only works for listening; give the port the peer listens on.")]
    [InlineData("connect --tcp 127.0.0.1:http", "'127.0.0.1:http' is not a valid --tcp address: the port 'http' is not a number.")]
    [InlineData("connect --tcp 127.0.0.1", "'127.0.0.1' is not a valid --tcp address: expected HOST:PORT, e.g. 127.0.0.1:5000 or [::1]:5000.")]
    public async Task Connect_BadPort_SaysWhatIsWrongWithIt(string commandLine, string sentence)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        var command = commandLine.Split(' ')[0];
        Assert.Equal($"{sentence} (see 'secretchat {command} --help')", app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task ShortVersionFlag_PrintsTheSameAsVersion()
    {
        using var full = new TestApp();
        using var brief = new TestApp();

        Assert.Equal(ExitCodes.Success, await full.RunAsync("--version"));
        Assert.Equal(ExitCodes.Success, await brief.RunAsync("-V"));

        var version = full.Console.OutText.Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.Equal(version, brief.Console.OutText.Trim());
        Assert.Equal("", brief.Console.ErrorText);
    }
}
