using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Text;
using SecretChat.Chat;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Signaling;
using SecretChat.Transport.Stun;
using Spectre.Console;

namespace SecretChat.App.Tests.Cli;

public class SignalCommandTests
{
    /// <summary>The server answers only STUN requests its answer fits in (no amplification): named in SOFTWARE as netcheck does, ours do.</summary>
    private static readonly StunClientOptions AsNetcheck = new() { Software = "SecretChat netcheck" };

    [Fact]
    public async Task Signal_OnAFreePort_AnswersStunAndStopsCleanlyOnCtrlC()
    {
        using var app = new TestApp();
        var console = new WatchedConsole(app.Console);
        using var interrupt = new CancellationTokenSource();
        var run = new CliApp(console, _ => app.Connector, app.Environment, app.BaseDirectory)
            .RunAsync(["signal", "--listen", "127.0.0.1:0"], interrupt.Token);

        var line = await console.FirstLine.WaitAsync(TestApp.Timeout);
        var port = int.Parse(line.Split(' ')[5].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        await using (var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0), options: AsNetcheck))
        {
            var binding = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestApp.Timeout);
            Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        }

        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
        Assert.StartsWith("signaling server listening on udp 127.0.0.1:", line);
        Assert.Equal("", app.Console.ErrorText);
    }

    [Fact]
    public async Task Signal_ListeningOnDualStackWildcard_AnswersIPv4AndIPv6ClientsOnOnePort()
    {
        // [::] is the default address (issue 19): one socket for clients of both families.
        using var app = new TestApp();
        var console = new WatchedConsole(app.Console);
        using var interrupt = new CancellationTokenSource();
        var run = new CliApp(console, _ => app.Connector, app.Environment, app.BaseDirectory)
            .RunAsync(["signal", "--listen", "[::]:0"], interrupt.Token);

        var line = await console.FirstLine.WaitAsync(TestApp.Timeout);
        var port = IPEndPoint.Parse(line.Split(' ')[5]).Port;
        // Only the two loopbacks are asked, though the socket listens on every address.
        foreach (var loopback in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            await using var client = UdpStunClient.Bind(new IPEndPoint(loopback, 0), options: AsNetcheck);
            var binding = await client.BindAsync(new IPEndPoint(loopback, port)).WaitAsync(TestApp.Timeout);
            Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        }

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
        Assert.StartsWith("signaling server listening on udp [::]:", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Signal_BareStunRequest_AnsweredOnlyWithStunAnswerAll(bool answerAll)
    {
        using var app = new TestApp();
        var console = new WatchedConsole(app.Console);
        using var interrupt = new CancellationTokenSource();
        string[] arguments = answerAll ? ["signal", "--listen", "127.0.0.1:0", "--stun-answer-all"] : ["signal", "--listen", "127.0.0.1:0"];
        var run = new CliApp(console, _ => app.Connector, app.Environment, app.BaseDirectory).RunAsync(arguments, interrupt.Token);

        var line = await console.FirstLine.WaitAsync(TestApp.Timeout);
        var port = int.Parse(line.Split(' ')[5].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        // No SOFTWARE: the request is smaller than any answer, as a browser's or turnutils_stunclient's is.
        var bare = new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(100), MaxRequests = 3, LastWaitFactor = 4 };
        await using (var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0), options: bare))
        {
            var binding = client.BindAsync(new IPEndPoint(IPAddress.Loopback, port));
            if (answerAll)
                Assert.Equal(client.LocalEndPoint, (await binding.WaitAsync(TestApp.Timeout)).MappedAddress);
            else
                await Assert.ThrowsAsync<StunTimeoutException>(() => binding.WaitAsync(TestApp.Timeout));
        }

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Signal_Sigterm_ShutsDownCleanlyAndExitsZero()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        var listening = await signal.WaitForLineAsync(l => l.StartsWith("signaling server listening on udp 127.0.0.1:", StringComparison.Ordinal));
        var port = int.Parse(listening.Split(' ')[5].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        await using (var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0), options: AsNetcheck))
        {
            var binding = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Timeouts.Default);
            Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        }

        await signal.TerminateAsync();

        Assert.Equal(0, await signal.WaitForExitAsync());
        // Each line once: the address in the first line only, the statistics in the one "stopped" line.
        Assert.Single(signal.StdoutLines, l => l.Contains("Signaling server stopped", StringComparison.Ordinal));
        Assert.Single(signal.StdoutLines, l => l.Contains(listening.Split(' ')[5], StringComparison.Ordinal));
        Assert.Single(signal.StdoutLines, l => l.Contains("STUN answered", StringComparison.Ordinal));
        Assert.Equal("", signal.Stderr);
    }

    [Fact]
    public async Task Signal_PortInUse_SaysSoAndExitsOne()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = taken.LocalEndPoint!.ToString();
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"signal --listen {address}"));

        Assert.Equal(
            UserSentences.PortInUse($"udp {address}"),
            app.Console.ErrorText.Trim());
    }

    [Fact]
    public async Task Signal_ListenSettingThatIsAName_IsASettingsError()
    {
        using var app = new TestApp();
        app.Environment["SECRETCHAT_Signaling__Listen"] = "example.org:3478";

        Assert.Equal(ExitCodes.Usage, await app.RunAsync("signal"));

        Assert.Contains("not an address to listen on", app.Console.ErrorText);
    }

    [Theory]
    [InlineData("signal --relay-rate 0", "'0' is not a valid --relay-rate: give a positive number of KiB/s")]
    [InlineData("signal --relay-total lots", "'lots' is not a valid --relay-total: give a positive number of MiB")]
    [InlineData("signal --relay-burst -1", "'-1' is not a valid --relay-burst")]
    [InlineData("signal --relay-burst 1", "--relay-burst must hold at least one datagram (1200 bytes, about 1.2 KiB).")]
    public async Task RelayFlags_Invalid_AreAUsageErrorSayingWhy(string commandLine, string expected)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        Assert.Contains(expected, app.Console.ErrorText);
    }

    [Fact]
    public async Task SignalHelp_Printed_DescribesTheRelayFlags()
    {
        using var app = new TestApp();

        await app.RunAsync("signal --help");

        Assert.Contains("--relay-rate", app.Console.OutText);
        Assert.Contains("--relay-total", app.Console.OutText);
        Assert.Contains("--no-relay", app.Console.OutText);
    }

    [Theory]
    [InlineData("--relay-rate 2 --relay-burst 2", 2, "the relay of room 'flags' is limited to 2 KiB/s (bursts of 2 KiB); slow down")]
    [InlineData("--relay-total 0.00390625", 4, "room 'flags' has relayed its 4 KiB allowance; nothing more is relayed for it")]
    [InlineData("--no-relay", 1, "this signaling server does not relay; only a direct path can connect these peers")]
    public async Task Signal_WithRelayFlags_RelaysWithinThoseLimitsAndSaysSoAtTheLimit(string relayFlags, int datagrams, string expectedNotice)
    {
        using var app = new TestApp();
        var console = new WatchedConsole(app.Console);
        using var interrupt = new CancellationTokenSource();
        var run = new CliApp(console, _ => app.Connector, app.Environment, app.BaseDirectory)
            .RunAsync(["signal", "--listen", "127.0.0.1:0", .. relayFlags.Split(' ')], interrupt.Token);
        var line = await console.FirstLine.WaitAsync(TestApp.Timeout);
        var server = new IPEndPoint(IPAddress.Loopback, int.Parse(line.Split(' ')[5].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
        await using (var alice = new LoopbackPeer(server))
        await using (var bob = new LoopbackPeer(server))
        {
            var waiting = alice.Rendezvous.RegisterAsync("flags", []);
            await bob.Rendezvous.RegisterAsync("flags", []).WaitAsync(TestApp.Timeout);
            await waiting.WaitAsync(TestApp.Timeout);
            var relayed = new ArrivalCount();
            var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var _ = bob.Rendezvous.Relayed.Subscribe(_ => relayed.Increment());
            using var __ = alice.Rendezvous.RelayNotices.Subscribe(n => notice.TrySetResult(n));

            for (var i = 0; i < datagrams; i++) // 1200 bytes each: the last one is over the limit under test
                await alice.Rendezvous.RelayAsync(new byte[1200]);

            Assert.Equal(expectedNotice, await notice.Task.WaitAsync(TestApp.Timeout));
            // Every datagram under the limit reaches bob, and the one over it never does: the server forwarded before it
            // noticed the limit, and bob's one receive loop has handled them all once it sees a datagram sent after.
            await relayed.WhenAtLeastAsync(datagrams - 1).WaitAsync(TestApp.Timeout);
            await bob.SyncAsync().WaitAsync(TestApp.Timeout);
            Assert.Equal(datagrams - 1, relayed.Value);
        }

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
    }

    /// <summary>Passes everything to a <see cref="FakeConsole"/> and completes <see cref="FirstLine"/> when stdout gets its first line.</summary>
    private sealed class WatchedConsole(FakeConsole inner) : IConsoleIO
    {
        private readonly LineWatcher _out = new(inner.Out);

        public Task<string> FirstLine => _out.FirstLine.Task;

        public TextReader In => inner.In;

        public TextWriter Out => _out;

        public TextWriter Error => inner.Error;

        public bool IsInputRedirected => inner.IsInputRedirected;

        public IAnsiConsole Ansi => inner.Ansi;

        private sealed class LineWatcher(TextWriter inner) : TextWriter
        {
            public TaskCompletionSource<string> FirstLine { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public override Encoding Encoding => inner.Encoding;

            public override void Write(char value) => inner.Write(value);

            public override void WriteLine(string? value)
            {
                inner.WriteLine(value);
                FirstLine.TrySetResult(value ?? "");
            }

            public override Task WriteLineAsync(string? value)
            {
                WriteLine(value);
                return Task.CompletedTask;
            }

            public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        }
    }
}
