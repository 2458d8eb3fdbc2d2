using SecretChat.Chat;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;

namespace SecretChat.App.Tests.Cli;

public class CommandLineTests
{
    [Fact]
    public async Task Connect_WithTcpAndCommonOptions_PassesThemToTheConnector()
    {
        using var app = new TestApp();

        var code = await app.RunAsync("connect --tcp example.org:5000 --encryption rsa --name alice --identity id.key --known-peers pins.txt --accept-new-key --timeout 2.5");

        Assert.Equal(0, code);
        var options = Assert.Single(app.Fake.Connects);
        Assert.Equal(ChatTransport.Tcp, options.Transport);
        Assert.Equal("example.org:5000", options.EndPoint);
        Assert.Equal(BuiltInModules.Rsa, options.Encryption);
        Assert.Equal("alice", options.Name);
        Assert.Equal("id.key", options.IdentityPath);
        Assert.Equal("pins.txt", options.KnownPeersPath);
        Assert.True(options.AcceptNewPeerKey);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.HandshakeTimeout);
    }

    [Fact]
    public async Task Connect_WithoutOptions_UsesNoiseAndTenSecondsAndNoKeyChange()
    {
        using var app = new TestApp();

        Assert.Equal(0, await app.RunAsync("connect --tcp [::1]:5000"));

        var options = Assert.Single(app.Fake.Connects);
        Assert.Equal("[::1]:5000", options.EndPoint);
        Assert.Equal(BuiltInModules.Noise, options.Encryption);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.False(options.AcceptNewPeerKey);
        Assert.False(string.IsNullOrWhiteSpace(options.Name));
    }

    [Fact]
    public async Task Listen_WithUdp_ListensOverUdp()
    {
        using var app = new TestApp(new FakeConsole(""));
        app.Fake.Listener.Admit(new FakeChat(FakeChat.ConnectedEvent()));

        Assert.Equal(0, await app.RunAsync("listen --udp 0.0.0.0:0 --encryption pseudo"));

        var options = Assert.Single(app.Fake.Listens);
        Assert.Equal(ChatTransport.Udp, options.Transport);
        Assert.Equal("0.0.0.0:0", options.EndPoint);
        Assert.Equal(BuiltInModules.Pseudo, options.Encryption);
        Assert.True(app.Fake.Listener.Disposed);
    }

    [Theory]
    [InlineData("listen")]
    [InlineData("connect")]
    [InlineData("connect --name bob")]
    public async Task ChatCommand_WithoutTcpOrUdp_SaysHowToReachThePeerAndExitsTwo(string commandLine)
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync(commandLine));

        Assert.Contains("--tcp", app.Console.ErrorText);
        Assert.Contains("--udp", app.Console.ErrorText);
        AssertOneSentence(app.Console.ErrorText);
        Assert.Empty(app.Fake.Connects);
    }

    [Fact]
    public async Task Connect_WithBothTcpAndUdp_ExitsTwo()
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync("connect --tcp 127.0.0.1:5000 --udp 127.0.0.1:5000"));

        Assert.Contains("not both", app.Console.ErrorText);
        AssertOneSentence(app.Console.ErrorText);
    }

    [Theory]
    [InlineData("connect --tcp nope")]
    [InlineData("connect --tcp host:")]
    [InlineData("connect --tcp :5000")]
    [InlineData("connect --tcp host:65536")]
    [InlineData("connect --tcp host:0")]
    [InlineData("connect --tcp ::1:5000")]
    [InlineData("listen --udp 1.2.3.4:-1")]
    public async Task ChatCommand_WithBadEndPoint_NamesTheValueAndExitsTwo(string commandLine)
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync(commandLine));

        Assert.Contains($"'{commandLine.Split(' ')[^1]}'", app.Console.ErrorText);
        AssertOneSentence(app.Console.ErrorText);
    }

    [Fact]
    public async Task Listen_WithPortZero_IsAccepted()
    {
        using var app = new TestApp(new FakeConsole(""));
        app.Fake.Listener.Admit(new FakeChat(FakeChat.ConnectedEvent()));

        Assert.Equal(0, await app.RunAsync("listen --tcp 127.0.0.1:0"));
    }

    [Theory]
    [InlineData("connect --tcp 127.0.0.1:5000 --encryption tls")]
    [InlineData("listen --tcp 127.0.0.1:5000 -e none")]
    [InlineData("demo --encryption aes")]
    public async Task Command_WithUnknownMode_ListsTheModesAndExitsTwo(string commandLine)
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync(commandLine));

        Assert.Contains("noise, rsa or pseudo", app.Console.ErrorText);
        AssertOneSentence(app.Console.ErrorText);
    }

    [Fact]
    public async Task Command_WithUnknownModeFlag_SaysTheSettingsSentence()
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync("connect --tcp 127.0.0.1:5000 --encryption tls"));

        Assert.Equal("The encryption setting 'tls' is not one of noise, rsa or pseudo.", app.Console.ErrorText.Trim());
    }

    [Theory]
    [InlineData("--timeout 0")]
    [InlineData("--timeout soon")]
    [InlineData("--timeout -3")]
    [InlineData("--frobnicate")]
    public async Task Connect_WithBadOption_ExitsTwoWithOneSentence(string option)
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync($"connect --tcp 127.0.0.1:5000 {option}"));

        AssertOneSentence(app.Console.ErrorText);
    }

    [Fact]
    public async Task Run_WithoutACommand_AsksForOneAndExitsTwo()
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync(""));

        Assert.Contains("listen, connect, demo", app.Console.ErrorText);
    }

    [Theory]
    [InlineData("--help", new[] { "listen", "connect", "demo", "signal", "netcheck", "p2p", "Examples:" })]
    [InlineData("listen --help", new[] { "--tcp", "--udp", "--encryption", "--name", "--json", "--identity", "--known-peers", "--accept-new-key", "--config", "--timeout", "Examples:" })]
    [InlineData("connect --help", new[] { "--tcp", "--udp", "--encryption", "--json", "--config", "--timeout", "HOST:PORT", "Examples:" })]
    [InlineData("connect -h --tcp nonsense", new[] { "--tcp" })]
    [InlineData("demo --help", new[] { "--encryption", "Examples:" })]
    [InlineData("signal --help", new[] { "--listen" })]
    [InlineData("netcheck --help", new[] { "--stun", "--json" })]
    [InlineData("p2p --help", new[] { "--room", "--signal", "--bind", "--encryption" })]
    public async Task Help_ForEachCommand_ExitsZeroAndDescribesTheOptions(string commandLine, string[] mentions)
    {
        using var app = new TestApp();

        Assert.Equal(0, await app.RunAsync(commandLine));

        foreach (var mention in mentions)
            Assert.Contains(mention, app.Console.OutText);
        Assert.Equal("", app.Console.ErrorText);
    }

    [Theory]
    [InlineData("p2p --room blue-otter --signal example.org:3478 --encryption rsa", "example.org:3478")]
    [InlineData("p2p --room blue-otter --encryption rsa", "127.0.0.1:3478")]
    public async Task PeerToPeer_MeetsInTheRoom_AtTheFlagsOrTheSettingsSignalingServer(string commandLine, string server)
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The signaling server did not answer.");

        Assert.Equal(1, await app.RunAsync(commandLine));

        var options = app.Fake.LastOptions;
        Assert.Equal(ChatTransport.PeerToPeer, options.Transport);
        Assert.Equal("blue-otter", options.Room);
        Assert.Equal(server, options.EndPoint);
        Assert.Equal(SecretChat.Security.BuiltInModules.Rsa, options.Encryption);
        Assert.Equal("The signaling server did not answer.", app.Console.ErrorText.Trim());
    }

    [Theory]
    [InlineData("p2p --room blue-otter --bind 127.0.0.1", "127.0.0.1")]
    [InlineData("p2p --room blue-otter --bind ::", "::")]
    [InlineData("p2p --room blue-otter", null)]
    public async Task PeerToPeer_Bind_ReachesTheOptions(string commandLine, string? address)
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The signaling server did not answer.");

        Assert.Equal(1, await app.RunAsync(commandLine));

        Assert.Equal(address, app.Fake.LastOptions.LocalAddress?.ToString());
    }

    [Fact]
    public async Task PeerToPeer_BindNotAnAddress_ExitsTwoNamingTheOption()
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync("p2p --room blue-otter --bind my-laptop"));

        Assert.Contains("--bind", app.Console.ErrorText);
    }

    // Issue 15: p2p without a room no longer fails; it asks the server for a code (a new code of --code-words words).
    [Theory]
    [InlineData("p2p", 2)]
    [InlineData("p2p --code-words 4", 4)]
    public async Task PeerToPeer_WithoutRoomOrCode_AsksForANewCode(string commandLine, int words)
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The signaling server did not answer.");

        Assert.Equal(1, await app.RunAsync(commandLine));

        var options = app.Fake.LastOptions;
        Assert.Null(options.Room);
        Assert.NotNull(options.PairingCode);
        Assert.Null(options.PairingCode.Nameplate);
        Assert.Equal(words, options.PairingCode.Words.Count);
    }

    [Fact]
    public async Task PeerToPeer_WithACode_JoinsItsNameplate()
    {
        using var app = new TestApp();
        app.Fake.OnConnect = (_, _, _) => throw new ChatFailedException("The signaling server did not answer.");

        Assert.Equal(1, await app.RunAsync("p2p 7-Wyoming-Zulu"));

        Assert.Equal("7-wyoming-zulu", app.Fake.LastOptions.PairingCode?.ToString());
        Assert.Null(app.Fake.LastOptions.Room);
    }

    [Theory]
    [InlineData("p2p 7-wyoming-zulu --room blue-otter", "--room")]
    [InlineData("p2p wyoming-zulu", "starts with its number")]
    [InlineData("p2p 7-wyoming-zulo", "did you mean 'zulu'?")]
    [InlineData("p2p --code-words 9", "--code-words")]
    [InlineData("p2p 7-wyoming-zulu --encryption pseudo", "needs the noise module")]
    public async Task PeerToPeer_BadCodeUse_ExitsTwoBeforeConnecting(string commandLine, string mention)
    {
        using var app = new TestApp();

        Assert.Equal(2, await app.RunAsync(commandLine));

        Assert.Contains(mention, app.Console.ErrorText);
        Assert.Empty(app.Fake.Connects);
    }

    internal static void AssertOneSentence(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }
}
