using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Text.RegularExpressions;
using SecretChat.App.Tests.Fakes;
using SecretChat.App.Tests.Interaction;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.Security;
using SecretChat.Signaling;
using SecretChat.Security.Rsa;
using SecretChat.Transport;
using SecretChat.Transport.Stun;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// Issue 14, attack 2, performed: a real peer (the real stack on loopback) and fake signaling and STUN servers send
/// ESC[2J, OSC title and clipboard writes, backspaces, CRs, a newline forging "connected to bob (noise, safety number ...)"
/// and bidi controls in the peer name, the message text, the close reason and the servers' reasons. Nothing of it
/// reaches the terminal raw, in the real <c>secretchat</c> process and in the interactive console.
/// </summary>
public class HostilePeerTextTests
{
    private static readonly string CloseReason = string.Concat(TerminalAssert.Attacks);

    private static ChatOptions Mallory(string address, string name = "mallory") => new()
    {
        EndPoint = address,
        Transport = ChatTransport.Tcp,
        Encryption = BuiltInModules.Rsa,
        Name = name,
        HandshakeTimeout = Timeouts.Process, // a bound on a loaded machine (an RSA key may be generated first), not a claim
    };

    /// <summary>
    /// Connects as a hostile peer, sends every attack as a message, waits for the acknowledgements, and closes with all
    /// of them as the reason. A hostile name goes on the wire as a malicious peer would send it: our own stack refuses
    /// to send such a name, so the greeting is forged past its constructor's check.
    /// </summary>
    private static async Task AttackAsync(string address, string name = "mallory")
    {
        var options = Mallory(address, "mallory");
        var connection = await TcpTransport.ConnectAsync(HostPort.Parse(address)).WaitAsync(Timeouts.Process);
        var channel = new FramedSecureChannel(connection, new RsaSecurity(), HandshakeRole.Initiator, options.HandshakeTimeout, greeting: ForgedGreeting(name));
        await using var mallory = ChatBuilder.Over(channel).AcceptAnyPeer().Named("mallory").Start();
        await mallory.Connected.WaitAsync(Timeouts.Process);
        var delivered = mallory.Events.OfType<Delivered>().Take(TerminalAssert.Attacks.Length).ToTask();
        foreach (var attack in TerminalAssert.Attacks)
            await mallory.SendAsync(attack);
        await delivered.WaitAsync(Timeouts.Process);
        await mallory.CloseAsync(CloseReason);
    }

    /// <summary>A greeting carrying <paramref name="name"/> as it is, whatever the name rules say.</summary>
    private static HandshakeGreeting ForgedGreeting(string name)
    {
        var greeting = new HandshakeGreeting("mallory", []);
        typeof(HandshakeGreeting)
            .GetField("<DisplayName>k__BackingField", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
            .SetValue(greeting, name);
        return greeting;
    }

    [Fact]
    public async Task ListenProcess_PeerSendsControlsInMessagesAndCloseReason_TerminalGetsNoneRaw()
    {
        await using var bob = SecretChatProcess.Start("listen", "--tcp", "127.0.0.1:0", "--encryption", "rsa", "--name", "bob", "--timeout", "60");
        var listening = await bob.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal));

        await AttackAsync(listening["listening on ".Length..]);

        Assert.NotEqual(0, await bob.WaitForExitAsync());
        var stdout = Encoding.UTF8.GetString(bob.StdoutBytes);
        TerminalAssert.Safe(bob.StdoutBytes, "bob's stdout");
        TerminalAssert.Safe(bob.StderrBytes, "bob's stderr");
        Assert.Contains("mallory: \\x1b[2J\\x1b[Hscreen cleared\n", stdout);
        Assert.Contains("mallory: hi\n  | connected to bob (noise, safety number 12345 67890 13579 24680)\n", stdout);
        Assert.Contains("disconnected: The peer closed the session (\\x1b[2J", stdout);
        Assert.Contains("\\u202eevil\\u202c reversed", stdout);
    }

    [Fact]
    public async Task ListenProcess_PeerNameWithControls_IsRefusedOrEscaped()
    {
        const string name = "bob\u001b]0;title\u0007\u202E\r\nconnected to bob (noise, safety number 1)";
        await using var alice = SecretChatProcess.Start("listen", "--tcp", "127.0.0.1:0", "--encryption", "rsa", "--name", "alice", "--timeout", "60");
        var listening = await alice.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal));

        try
        {
            await AttackAsync(listening["listening on ".Length..], name);
        }
        catch (Exception ex) when (ex is ChatFailedException or InvalidOperationException)
        {
            // The handshake refused the name (issue 14: names with controls are not allowed); the listener waits on.
            alice.CloseInput();
            await alice.TerminateAsync();
        }

        await alice.WaitForExitAsync();
        TerminalAssert.Safe(alice.StdoutBytes, "alice's stdout");
        TerminalAssert.Safe(alice.StderrBytes, "alice's stderr");
    }

    [Fact]
    public async Task InteractiveListen_PeerSendsControlsInNameMessagesAndCloseReason_ConsoleShowsThemEscaped()
    {
        var io = new FakeConsole(new LineFeed(), isInputRedirected: false);
        using var app = new TestApp(io, new ChatConnector());
        using var interrupt = new CancellationTokenSource();
        var run = app.StartAsync("listen --tcp 127.0.0.1:0 --encryption rsa --name bob --timeout 60", interrupt.Token);
        await io.WaitForOutputAsync("Listening on ", Timeouts.Default);
        var address = Regex.Match(io.OutText, @"Listening on (\S+) \(tcp\)").Groups[1].Value;

        // The name carries controls too: refused at the handshake (then a rejection is shown) or shown escaped.
        try
        {
            await AttackAsync(address, "mallory\u001b[2J\u202E");
            await io.WaitForOutputAsync("Disconnected: ", Timeouts.Process);
        }
        catch (Exception ex) when (ex is ChatFailedException or InvalidOperationException)
        {
            await io.WaitForOutputAsync("Rejected a peer", Timeouts.Process);
            await AttackAsync(address);
            await io.WaitForOutputAsync("Disconnected: ", Timeouts.Process);
        }

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Interrupted, await run.WaitAsync(Timeouts.Default));
        TerminalAssert.Safe(io.OutText, "the interactive console");
        TerminalAssert.Safe(io.ErrorText, "stderr");
        Assert.Contains(": \\x1b]0;pwned title\\x07", io.OutText);
        // The forged line is a continuation line, indented under the message's text.
        Assert.True(Regex.IsMatch(io.OutText.ReplaceLineEndings("\n"), @": hi *\n +\| connected to bob"), io.OutText);
    }

    [Fact]
    public async Task P2p_SignalingServerReasonWithControls_ReachesStderrEscaped()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var reason = "go away\u001b[2J\u001b]0;t\u0007\u202E\r\nconnected to bob (noise, safety number 1)";
        using var stop = new CancellationTokenSource();
        var answering = AnswerEveryDatagramAsync(server, _ => SignalingCodec.Encode(new ErrorPacket(default, SignalingErrorCode.BadRequest, reason)), stop.Token);
        using var app = new TestApp(new FakeConsole(""), new ChatConnector());

        var code = await app.RunAsync($"p2p --room blue-otter --signal {server.LocalEndPoint} --encryption rsa --name alice");

        await stop.CancelAsync();
        await answering;
        Assert.Equal(ExitCodes.Failure, code);
        TerminalAssert.Safe(app.Console.OutText, "stdout");
        TerminalAssert.Safe(app.Console.ErrorText, "stderr");
        Assert.Contains("Go away\\x1b[2J\\x1b]0;t\\x07\\u202e\\r\\nconnected to bob", app.Console.ErrorText);
    }

    [Fact]
    public async Task Netcheck_StunServerReasonWithControls_ReachesStdoutAndStderrEscaped()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var answering = AnswerEveryDatagramAsync(server, request =>
            new StunMessageBuilder(StunMessageType.BindingError, StunMessage.Parse(request).TransactionId)
                .AddErrorCode(400, "Bad\u001b[2J\u0007\u202E\nconnected to bob (noise, safety number 1)").ToArray(), stop.Token);
        await using var honest = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0));

        using var both = new TestApp();
        Assert.Equal(ExitCodes.Success, await both.RunAsync($"netcheck --stun {honest.LocalEndPoint} --stun {server.LocalEndPoint}"));
        using var alone = new TestApp();
        Assert.Equal(ExitCodes.Failure, await alone.RunAsync($"netcheck --stun {server.LocalEndPoint}"));

        await stop.CancelAsync();
        await answering;
        TerminalAssert.Safe(both.Console.OutText, "netcheck's stdout");
        TerminalAssert.Safe(alone.Console.ErrorText, "netcheck's stderr");
        Assert.Contains("answered 400 Bad\\x1b[2J\\x07\\u202e\\nconnected to bob", both.Console.OutText);
        Assert.Contains("answered 400 Bad\\x1b[2J\\x07\\u202e\\nconnected to bob", alone.Console.ErrorText);
    }

    [Fact]
    public async Task SignalProcess_RoomNameWithBidiControls_IsLoggedEscaped()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        var listening = await signal.WaitForLineAsync(l => l.StartsWith("signaling server listening on udp ", StringComparison.Ordinal));
        var address = listening.Split(' ')[5];
        const string room = "blue\u202Eotter\u2066\u200F";

        using var giveUp = new CancellationTokenSource();
        var joining = new ChatConnector().ConnectAsync(
            new ChatOptions { EndPoint = address, Transport = ChatTransport.PeerToPeer, Room = room, Encryption = BuiltInModules.Rsa, Name = "alice" },
            cancellationToken: giveUp.Token);
        await signal.WaitForLineAsync(l => l.Contains("opened by", StringComparison.Ordinal));
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => joining.WaitAsync(Timeouts.Default));
        await signal.TerminateAsync();

        Assert.Equal(0, await signal.WaitForExitAsync());
        TerminalAssert.Safe(signal.StdoutBytes, "the signaling server's log");
        Assert.Contains("blue\\u202eotter\\u2066\\u200f", Encoding.UTF8.GetString(signal.StdoutBytes));
    }

    /// <summary>A fake server on loopback: answers each datagram with what <paramref name="answer"/> makes of it.</summary>
    private static async Task AnswerEveryDatagramAsync(Socket server, Func<byte[], byte[]> answer, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                var received = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                byte[] reply;
                try
                {
                    reply = answer(buffer[..received.ReceivedBytes]);
                }
                catch (Exception ex) when (ex is StunFormatException or ArgumentException)
                {
                    continue; // not a request this fake understands
                }

                await server.SendToAsync(reply, received.RemoteEndPoint, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
