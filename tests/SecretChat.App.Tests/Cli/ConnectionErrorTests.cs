using System.Net;
using System.Net.Sockets;
using System.Text;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Tests;

namespace SecretChat.App.Tests.Cli;

/// <summary>One sentence per kind of failure, with no .NET leftovers: a foreign protocol, a taken port, a line too long.</summary>
public class ConnectionErrorTests
{
    [Fact]
    public async Task Connect_ToAnHttpServer_SaysItIsNotASecretChatPeer()
    {
        // A web server on the port: it reads our first bytes and answers "HTTP/1.1 400", whose "HTTP" reads as a
        // frame length of 1213486160.
        using var http = new TcpListener(IPAddress.Loopback, 0);
        http.Start();
        var port = ((IPEndPoint)http.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await http.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[512];
            _ = await stream.ReadAsync(buffer);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            client.Client.Shutdown(SocketShutdown.Send);
            // Hold the socket until the client has read the answer and given up.
            while (await stream.ReadAsync(buffer) > 0) { }
        });
        using var home = new TempDirectory();

        await using var alice = SecretChatProcess.Start(["connect", "--tcp", $"127.0.0.1:{port}", .. home.IdentityArgs("alice")]);
        alice.CloseInput();

        Assert.Equal(ExitCodes.Failure, await alice.WaitForExitAsync());
        Assert.Equal(UserSentences.NotASecretChatPeer, alice.Stderr.Trim());
        Assert.DoesNotContain("1213486160", alice.Stderr, StringComparison.Ordinal);
        await serve.WaitAsync(Timeouts.Default);
    }

    [Fact]
    public void SessionFailed_FrameCheckFailsBeforeTheHello_IsNotASecretChatPeer()
    {
        var beforeHello = new HandshakeException("The connection failed during the handshake: x", new FrameTooLargeException(1213486160, 65536));
        var afterHandshake = new FrameTooLargeException(1213486160, 65536);

        Assert.Equal(UserSentences.NotASecretChatPeer, UserSentences.SessionFailed(beforeHello));
        // A short first frame without the magic ("GET / HTTP/1.1" read as a frame): the hello parser's refusal, same sentence.
        var notAHello = Assert.Throws<HandshakeException>(() => ProtocolHello.Parse(Convert.FromHexString("474554202f20485454502f312e31")));
        Assert.Equal(UserSentences.NotASecretChatPeer, UserSentences.SessionFailed(notAHello));
        // Once the peer has shown it speaks SecretChat, an oversized frame is a broken peer, said as before.
        Assert.StartsWith("The peer sent invalid data: the peer announced a frame of 1213486160 bytes", UserSentences.SessionFailed(afterHandshake), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Listen_PortInUse_SaysTheOneSentence(string transport)
    {
        using var taken = transport == "tcp"
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        if (transport == "tcp") taken.Listen();
        var address = taken.LocalEndPoint!.ToString();
        using var app = new TestApp(connector: new ChatConnector());

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"listen --{transport} {address} --encryption pseudo --json"));

        Assert.Equal(UserSentences.PortInUse($"{transport} {address}"), app.Console.ErrorText.Trim());
    }

    [Fact]
    public void PortInUse_IsOneSentenceThatSaysWhatToDo()
    {
        var sentence = UserSentences.PortInUse("udp 0.0.0.0:3478");

        Assert.StartsWith("Cannot listen on udp 0.0.0.0:3478: the port is already in use", sentence, StringComparison.Ordinal);
        Assert.Contains("choose another port", sentence, StringComparison.Ordinal);
        Assert.EndsWith(".", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptedConnect_LineLongerThanAMessage_SaysSoWithoutDotNetTextAndSendsTheRest()
    {
        using var listener = new TestApp(new FakeConsole("", isInputRedirected: true), new ChatConnector());
        var listening = listener.StartAsync("listen --tcp 127.0.0.1:0 --encryption pseudo --json");
        await listener.Console.WaitForOutputAsync("\"listening\"", TestApp.Timeout);
        var address = System.Text.Json.JsonDocument.Parse(listener.Console.OutLines.First(l => l.Contains("\"listening\"", StringComparison.Ordinal)))
            .RootElement.GetProperty("address").GetString();
        var input = new StringBuilder().Append('x', 70_000).Append('\n').Append("short\n").ToString();
        using var client = new TestApp(new FakeConsole(input, isInputRedirected: true), new ChatConnector());

        Assert.Equal(ExitCodes.Failure, await client.RunAsync($"connect --tcp {address} --encryption pseudo"));

        var error = client.Console.ErrorText;
        Assert.Contains("error: A line was not sent: a message can hold at most ", error, StringComparison.Ordinal);
        Assert.Contains("this one has 70000; split it into shorter lines.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", error, StringComparison.Ordinal);
        Assert.Contains("Some lines could not be sent.", error, StringComparison.Ordinal);
        await listening.WaitAsync(TestApp.Timeout);
        Assert.Contains(listener.Console.OutLines, l => l.Contains("\"text\":\"short\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ScriptedUdpConnect_ToNobody_SaysHowLongItHasWaitedBeforeGivingUp()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var app = new TestApp(connector: new ChatConnector());

        // Real time: the first repeat comes at 5 s, the handshake gives up at 7 s.
        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"connect --udp 127.0.0.1:{port} --encryption pseudo --json --timeout 7"));

        var statuses = app.Console.OutLines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "status")
            .Select(e => e.GetProperty("text").GetString()!)
            .ToList();
        Assert.Contains(statuses, t => t.EndsWith(" (5 s)", StringComparison.Ordinal));
        Assert.Equal($"The peer at 127.0.0.1:{port} did not answer the handshake within 7 s.", app.Console.ErrorText.Trim());
    }

    [Theory]
    [InlineData("A message can hold at most 10 bytes; this one has 12.", "A line was not sent: a message can hold at most 10 bytes; this one has 12; split it into shorter lines.")]
    public void LineNotSent_ArgumentError_HasNoParameterName(string message, string sentence) =>
        Assert.Equal(sentence, UserSentences.LineNotSent(new ArgumentException(message, "text")));

    [Fact]
    public void Plain_ArgumentErrors_LoseTheirDotNetSuffixes()
    {
        Assert.Equal("Bad value.", UserSentences.Plain(new ArgumentException("Bad value.", "text")));
        Assert.Equal("Too big.", UserSentences.Plain(new ArgumentOutOfRangeException("size", 7, "Too big.")));
        Assert.Equal("boom", UserSentences.Plain(new InvalidOperationException("boom")));
        Assert.Equal("secretchat: unexpected error: Bad value.", UserSentences.CommandFailed(new ArgumentException("Bad value.", "text")));
        Assert.Equal("error", Assert.Throws<ArgumentNullException>(() => UserSentences.Plain(null!)).ParamName);
    }
}
