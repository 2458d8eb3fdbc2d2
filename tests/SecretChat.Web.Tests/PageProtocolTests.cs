using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SecretChat.Chat;
using Xunit.Abstractions;

namespace SecretChat.Web.Tests;

/// <summary>The page's protocol without a browser: what the page sends, what it gets back, in order.</summary>
public sealed class PageProtocolTests(ITestOutputHelper output) : IAsyncLifetime
{
    private WebHarness _web = null!;

    public async Task InitializeAsync() => _web = await WebHarness.StartAsync();

    public async Task DisposeAsync() => await _web.DisposeAsync();

    private async Task<ClientWebSocket> OpenAsync()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{_web.Server.EndPoint.Port}");
        socket.Options.SetRequestHeader("Cookie", $"{UiAccess.CookieName}={_web.Server.Access.Token}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_web.Server.EndPoint.Port}/events"), new CancellationTokenSource(Timeouts.Default).Token);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, object command) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(command), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Reads events until one of <paramref name="type"/> arrives (each logged), or fails after the timeout.</summary>
    private async Task<JsonElement> NextAsync(ClientWebSocket socket, string type)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Startup); // a handshake on a loaded machine
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.True(result.EndOfMessage);
            var json = Encoding.UTF8.GetString(buffer, 0, result.Count);
            output.WriteLine(json);
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.GetProperty("type").GetString() == type)
                return document.RootElement.Clone();
        }
    }

    [Fact]
    public async Task Page_ConnectSendAndReceive_EventsArriveInOrderWithDeliveryMark()
    {
        await using var bob = await LibraryPeer.ListenAsync(_web.Home, "bob", "bob", "noise");
        var accepted = bob.AcceptAsync();
        using var socket = await OpenAsync();
        await NextAsync(socket, "hello");
        await SendAsync(socket, new { type = "start", mode = "connect", transport = "tcp", address = bob.Address, encryption = "noise" });
        var conv = (await NextAsync(socket, "conversation")).GetProperty("conv").GetInt32();
        var connected = await NextAsync(socket, "connected");
        var chat = await accepted;
        var bobSees = await chat.FirstAsync<Connected>();
        Assert.Equal("bob", connected.GetProperty("peer").GetString());
        Assert.Equal(bobSees.Fingerprint, connected.GetProperty("safetyNumber").GetString());
        Assert.Equal("new", connected.GetProperty("status").GetString());

        await SendAsync(socket, new { type = "send", conv, text = "hello bob" });
        var sent = await NextAsync(socket, "sent");
        var delivered = await NextAsync(socket, "delivered");
        Assert.Equal(sent.GetProperty("id").GetUInt64(), delivered.GetProperty("id").GetUInt64());
        Assert.Equal("hello bob", (await chat.FirstAsync<MessageReceived>()).Text);

        await chat.SendAsync("hi alice");
        var message = await NextAsync(socket, "message");
        Assert.Equal("hi alice", message.GetProperty("text").GetString());
        Assert.Equal("bob", message.GetProperty("from").GetString());
    }
}
