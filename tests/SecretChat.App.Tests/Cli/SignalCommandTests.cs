using System.Net;
using System.Net.Sockets;
using System.Text;
using SecretChat.App.Cli;
using SecretChat.App.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Transport.Stun;
using Spectre.Console;

namespace SecretChat.App.Tests.Cli;

public class SignalCommandTests
{
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
        await using (var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
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
    public async Task Signal_PortInUse_SaysSoAndExitsOne()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = taken.LocalEndPoint!.ToString();
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"signal --listen {address}"));

        Assert.Equal(
            $"Cannot listen on udp {address}: the port is already in use (is another signaling or STUN server running?).",
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
