using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Cli;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Signaling;
using SecretChat.Transport.Stun;

namespace SecretChat.App.Tests.Cli;

/// <summary><c>secretchat signal --metrics</c> and <c>--log-format json</c> (issue 18): what an operator's Prometheus and log shipper read.</summary>
public class SignalMonitoringTests
{
    [Fact]
    public async Task Metrics_AfterRegistrationMatchStunAndRelay_CountEachOnce()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0");
        var (udp, http) = await StartedAsync(signal);
        using var client = new HttpClient { BaseAddress = http, Timeout = Timeouts.Default };
        var before = await ScrapeAsync(client);

        await StunOnceAsync(udp);
        await using var alice = new LoopbackPeer(udp);
        await using var bob = new LoopbackPeer(udp);
        var waiting = alice.Rendezvous.RegisterAsync("metrics", []);
        await bob.Rendezvous.RegisterAsync("metrics", []).WaitAsync(Timeouts.Default);
        await waiting.WaitAsync(Timeouts.Default);
        var relayed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (bob.Rendezvous.Relayed.Subscribe(d => relayed.TrySetResult(d.Length)))
        {
            await alice.Rendezvous.RelayAsync(new byte[333]);
            Assert.Equal(333, await relayed.Task.WaitAsync(Timeouts.Default));
        }

        var after = await ScrapeAsync(client);
        Assert.Equal(0, before["secretchat_signal_registrations_total"]);
        Assert.Equal(0, before["secretchat_signal_stun_answers_total"]);
        Assert.Equal(1, after["secretchat_signal_rooms"]);
        Assert.Equal(2, after["secretchat_signal_members"]);
        Assert.Equal(2, after["secretchat_signal_registrations_total"]);
        Assert.Equal(1, after["secretchat_signal_rooms_created_total"]);
        Assert.Equal(1, after["secretchat_signal_matches_total"]);
        Assert.Equal(1, after["secretchat_signal_stun_answers_total"]);
        Assert.Equal(1, after["secretchat_signal_relayed_packets_total"]);
        Assert.Equal(333, after["secretchat_signal_relayed_bytes_total"]);
        Assert.True(after["secretchat_signal_cookies_sent_total"] >= 2); // each member's first Register drew one (a retransmission, one more)
        Assert.Equal(0, after["secretchat_signal_dropped_total{reason=\"malformed\"}"]);
        Assert.Equal(0, after["secretchat_signal_refused_total{reason=\"room_full\"}"]);
        Assert.True(after["process_working_set_bytes"] > 0);

        await alice.Rendezvous.LeaveAsync();
        await SyncAsync(udp);
        var left = await ScrapeAsync(client);
        Assert.Equal(1, left["secretchat_signal_members"]);
        Assert.Equal(1, left["secretchat_signal_rooms"]);
        Assert.Equal(2, left["secretchat_signal_registrations_total"]);
    }

    [Fact]
    public async Task Metrics_DropsOfEachReason_AreOneLabelledCounter()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0");
        var (udp, http) = await StartedAsync(signal);
        using var client = new HttpClient { BaseAddress = http, Timeout = Timeouts.Default };
        using var stranger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await stranger.SendAsync(new byte[] { 0x4F, SignalingCodec.Version, 0xFF, 0xFF }, udp); // signaling's first byte, no such packet
        await stranger.SendAsync("not for a signaling server"u8.ToArray(), udp);
        await stranger.SendAsync("nor this"u8.ToArray(), udp);
        await SyncAsync(udp);

        var metrics = await ScrapeAsync(client);
        Assert.Equal(4, metrics["secretchat_signal_datagrams_received_total"]);
        Assert.Equal(1, metrics["secretchat_signal_dropped_total{reason=\"malformed\"}"]);
        Assert.Equal(2, metrics["secretchat_signal_dropped_total{reason=\"unexpected\"}"]);
        Assert.Equal(0, metrics["secretchat_signal_dropped_total{reason=\"rate_limited\"}"]);
        Assert.Equal(12, metrics.Keys.Count(k => k.StartsWith("secretchat_signal_dropped_total{reason=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Health_WhileServing_Is200Ok()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0");
        var (_, http) = await StartedAsync(signal);
        using var client = new HttpClient { BaseAddress = http, Timeout = Timeouts.Default };

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_ACheckFails_Is503WithItsReason()
    {
        var metrics = new SignalMetrics(new SignalingStatistics());
        await using var endpoint = await MonitoringEndpoint.StartAsync(
            new IPEndPoint(IPAddress.Loopback, 0), metrics, _ => Task.FromResult<string?>("redis at 127.0.0.1:6379 does not answer"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint.EndPoint}/"), Timeout = Timeouts.Default };

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("redis at 127.0.0.1:6379 does not answer\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_ACheckThrows_Is503NotAFailedRequest()
    {
        var metrics = new SignalMetrics(new SignalingStatistics());
        await using var endpoint = await MonitoringEndpoint.StartAsync(
            new IPEndPoint(IPAddress.Loopback, 0), metrics, _ => throw new InvalidOperationException("the store is gone"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint.EndPoint}/"), Timeout = Timeouts.Default };

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("the health check failed: the store is gone\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/", HttpStatusCode.NotFound)]
    [InlineData("GET", "/metrics/../admin", HttpStatusCode.NotFound)]
    [InlineData("POST", "/metrics", HttpStatusCode.MethodNotAllowed)]
    [InlineData("HEAD", "/health", HttpStatusCode.OK)]
    public async Task MonitoringEndpoint_OtherRequests_AreRefusedWithoutEcho(string method, string path, HttpStatusCode expected)
    {
        var metrics = new SignalMetrics(new SignalingStatistics());
        await using var endpoint = await MonitoringEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), metrics, _ => Task.FromResult<string?>(null));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint.EndPoint}/"), Timeout = Timeouts.Default };

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)));

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("admin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_BoundToOneAddress_IsNotServedOnAnother()
    {
        var metrics = new SignalMetrics(new SignalingStatistics());
        await using var endpoint = await MonitoringEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), metrics, _ => Task.FromResult<string?>(null));
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        // 127.0.0.2 is this machine too (all of 127/8 is loopback): only the address given is served.
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
            await other.ConnectAsync(new IPEndPoint(IPAddress.Parse("127.0.0.2"), endpoint.EndPoint.Port)).WaitAsync(Timeouts.Default));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Metrics_PortInUse_IsOneClearSentenceAndExitsOne()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = taken.LocalEndpoint.ToString();
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"signal --listen 127.0.0.1:0 --metrics {address}"));

        Assert.Equal(UserSentences.PortInUse($"tcp {address} (metrics)"), app.Console.ErrorText.Trim());
    }

    [Theory]
    [InlineData("signal --metrics example.org:9478", "not an address to listen on")]
    [InlineData("signal --metrics 9478", "not an address to listen on")]
    [InlineData("signal --log-format xml", "xml")]
    public async Task MonitoringFlags_Invalid_AreAUsageError(string commandLine, string expected)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        Assert.Contains(expected, app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_FromTheSetting_AreServed()
    {
        var port = LoopbackPorts.UnusedTcp();
        await using var signal = SecretChatProcess.Start(
            ["signal", "--listen", "127.0.0.1:0"],
            new Dictionary<string, string> { ["SECRETCHAT_Signaling__Metrics"] = $"127.0.0.1:{port}" });

        var (_, http) = await StartedAsync(signal);

        Assert.Equal(port, http.Port);
    }

    [Fact]
    public async Task JsonLogs_EveryLine_IsOneObjectWithTheTextFormsFields()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0", "--log-format", "json", "--metrics", "127.0.0.1:0");
        var first = await signal.WaitForLineAsync(l => l.Contains("signaling server listening on udp", StringComparison.Ordinal));
        var udp = IPEndPoint.Parse(JsonDocument.Parse(first).RootElement.GetProperty("State").GetProperty("EndPoint").GetString()!);
        await using (var alice = new LoopbackPeer(udp))
        {
            // Alone in the room: the Register is answered with "waiting", and the server logs the room it opened.
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = alice.Rendezvous.RegisterAsync("json-log", [], new Progress<IPEndPoint>(_ => waiting.TrySetResult()));
            await waiting.Task.WaitAsync(Timeouts.Default);
            await signal.WaitForLineAsync(l => l.Contains("json-log", StringComparison.Ordinal));
        }

        await signal.TerminateAsync();
        Assert.Equal(0, await signal.WaitForExitAsync());

        var lines = signal.StdoutLines;
        Assert.True(lines.Count >= 5, string.Join('\n', lines));
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line); // every line, not just most
            var root = entry.RootElement;
            Assert.True(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _), line);
            Assert.Equal("SecretChat.Signal", root.GetProperty("Category").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("LogLevel").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Message").GetString()));
        }

        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()!.StartsWith("metrics on http://127.0.0.1:", StringComparison.Ordinal));
        var opened = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("Message").GetString()!.StartsWith("Room 'json-log' opened", StringComparison.Ordinal));
        Assert.Equal("json-log", opened.GetProperty("State").GetProperty("Room").GetString());
        var stopped = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("Message").GetString()!.StartsWith("Signaling server stopped", StringComparison.Ordinal));
        Assert.Contains("STUN answered", stopped.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal("", signal.Stderr);
    }

    [Fact]
    public async Task JsonLogs_AStrangersRoomName_IsEscapedAndReadsBackExactly()
    {
        // No control characters get into a room name, but a bidi override, quotes and braces do: the JSON line must keep
        // them escaped (nothing that reorders a terminal's text), stay one parseable object, and give the name back exactly.
        const string room = "evil\u202E\"}{\\ ünï";
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0", "--log-format", "json");
        var first = await signal.WaitForLineAsync(l => l.Contains("signaling server listening on udp", StringComparison.Ordinal));
        var udp = IPEndPoint.Parse(JsonDocument.Parse(first).RootElement.GetProperty("State").GetProperty("EndPoint").GetString()!);
        await using (var stranger = new LoopbackPeer(udp))
        {
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = stranger.Rendezvous.RegisterAsync(room, [], new Progress<IPEndPoint>(_ => waiting.TrySetResult()));
            await waiting.Task.WaitAsync(Timeouts.Default);
        }

        var line = await signal.WaitForLineAsync(l => l.Contains("opened by", StringComparison.Ordinal));

        Assert.DoesNotContain('\u202E', line);
        Assert.All(line, c => Assert.True(c is >= ' ' and <= '~', $"U+{(int)c:X4} reached the log raw"));
        using var entry = JsonDocument.Parse(line);
        Assert.Equal(room, entry.RootElement.GetProperty("State").GetProperty("Room").GetString());
    }

    [Fact]
    public async Task TextLogs_StayTheDefault()
    {
        await using var signal = SecretChatProcess.Start("signal", "--listen", "127.0.0.1:0");
        await signal.WaitForLineAsync(l => l.StartsWith("signaling server listening on udp 127.0.0.1:", StringComparison.Ordinal));

        await signal.TerminateAsync();
        Assert.Equal(0, await signal.WaitForExitAsync());

        Assert.Contains(signal.StdoutLines, l => l.Contains(" info: SecretChat.Signal[0] Signaling server stopped", StringComparison.Ordinal));
        Assert.DoesNotContain(signal.StdoutLines, l => l.StartsWith('{'));
    }

    /// <summary>The UDP address from the first line and the metrics address from the second.</summary>
    private static async Task<(IPEndPoint Udp, Uri Http)> StartedAsync(SecretChatProcess signal)
    {
        var listening = await signal.WaitForLineAsync(l => l.StartsWith("signaling server listening on udp ", StringComparison.Ordinal));
        var metrics = await signal.WaitForLineAsync(l => l.StartsWith("metrics on http://", StringComparison.Ordinal));
        var udp = IPEndPoint.Parse(listening.Split(' ')[5]);
        var http = new Uri(metrics.Split(' ')[2].Replace("/metrics,", "/", StringComparison.Ordinal));
        return (udp, http);
    }

    /// <summary>One scrape, as name (with labels) to value; fails on a line that is not the text format.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MonitoringEndpoint.MetricsContentType, response.Content.Headers.ContentType!.ToString());
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
                continue;
            var space = line.LastIndexOf(' ');
            values.Add(line[..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }

        return values;
    }

    /// <summary>
    /// A STUN round trip from a socket of its own: the server handles datagrams in the order they arrive on its one receive
    /// loop, and loopback keeps the order they were sent in, so everything sent before has been counted once it is answered.
    /// </summary>
    private static Task SyncAsync(IPEndPoint server) => StunOnceAsync(server);

    /// <summary>
    /// One STUN Binding request, sent once, and its answer: unlike a STUN client, nothing is retransmitted when a loaded
    /// machine answers late, so the server counts exactly one request and one answer.
    /// </summary>
    private static async Task StunOnceAsync(IPEndPoint server)
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var request = new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New()).AddSoftware("SecretChat netcheck").AddFingerprint().ToArray();
        await socket.SendAsync(request, server);
        var answer = await socket.ReceiveAsync().WaitAsync(Timeouts.Default);
        Assert.True(StunMessage.IsStun(answer.Buffer));
    }
}
