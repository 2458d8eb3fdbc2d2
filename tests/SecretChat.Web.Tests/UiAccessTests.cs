using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace SecretChat.Web.Tests;

/// <summary>The page is no way in for others: token, cookie, Host and Origin, checked over plain HTTP (no browser needed).</summary>
public sealed class UiAccessTests : IAsyncLifetime
{
    private WebHarness _web = null!;

    public async Task InitializeAsync() => _web = await WebHarness.StartAsync();

    public async Task DisposeAsync() => await _web.DisposeAsync();

    private int Port => _web.Server.EndPoint.Port;

    private string Cookie => $"{UiAccess.CookieName}={_web.Server.Access.Token}";

    private static HttpClient Client() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeouts.Default };

    private async Task<HttpResponseMessage> GetAsync(string path, string? cookie = null, string? host = null)
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_web.Server.BaseAddress, path));
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (host is not null) request.Headers.Host = host;
        return await client.SendAsync(request);
    }

    [Fact]
    public void Server_Default_ListensOnLoopbackOnly()
    {
        Assert.True(IPAddress.IsLoopback(_web.Server.EndPoint.Address));
        Assert.StartsWith("http://127.0.0.1:", _web.Server.Url.ToString(), StringComparison.Ordinal);
        Assert.Contains($"token={_web.Server.Access.Token}", _web.Server.Url.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NonLoopbackWithoutConfirmation_IsRefusedBeforeBinding()
    {
        var options = new UiOptions
        {
            Listen = new IPEndPoint(IPAddress.Any, 0),
            Connector = new SecretChat.Chat.Composition.ChatConnector(),
            ToChatOptions = _ => throw new InvalidOperationException("not reached"),
        };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => UiServer.StartAsync(options));
        Assert.Contains("loopback only", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_IsLongAndRandom()
    {
        var first = UiAccess.NewToken();
        Assert.True(first.Length >= 43, first); // 256 bits in base64url
        Assert.NotEqual(first, UiAccess.NewToken());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/index.html")]
    public async Task Page_WithoutToken_IsRefused(string path)
    {
        using var response = await GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("<script", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Page_WrongToken_IsRefusedAndSetsNoCookie()
    {
        using var response = await GetAsync("/?token=" + UiAccess.NewToken());
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Page_WrongCookie_IsRefused()
    {
        using var response = await GetAsync("/", cookie: $"{UiAccess.CookieName}={UiAccess.NewToken()}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Page_Token_BecomesStrictHttpOnlyCookieAndLeavesTheAddress()
    {
        using var response = await GetAsync(_web.Server.Url.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(Cookie + ";", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Page_WithCookie_IsServedUnderStrictContentSecurityPolicy()
    {
        using var response = await GetAsync("/", Cookie);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("style-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"/app.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html); // no inline event handlers
    }

    [Fact]
    public async Task Page_Script_NeverWritesHtml()
    {
        using var response = await GetAsync("/app.js", Cookie);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/javascript", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var script = await response.Content.ReadAsStringAsync();
        foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function" })
            Assert.DoesNotContain(sink, script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("attacker.test:{port}")]
    [InlineData("127.0.0.2:{port}")]
    [InlineData("127.0.0.1:1")]
    public async Task Page_ForeignHost_IsRefusedEvenWithTheCookie(string host)
    {
        var foreign = host.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var response = await GetAsync("/", Cookie, foreign);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.DoesNotContain(foreign, string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Page_LoopbackHostNames_AreServed(string name)
    {
        using var response = await GetAsync("/", Cookie, $"{name}:{Port}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Page_UnknownPath_IsNotFound()
    {
        using var response = await GetAsync("/../SecretChat.Web.dll", Cookie);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<WebSocketException?> OpenEventsAsync(string? origin, string? cookie, Func<ClientWebSocket, Task>? whenOpen = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        if (cookie is not null) socket.Options.SetRequestHeader("Cookie", cookie);
        using var timeout = new CancellationTokenSource(Timeouts.Default);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}/events"), timeout.Token);
        }
        catch (WebSocketException refused)
        {
            Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
            return refused;
        }
        if (whenOpen is not null) await whenOpen(socket);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        return null;
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:1")]
    [InlineData("https://127.0.0.1:{port}")]
    public async Task Events_ForeignOrigin_IsRefused(string origin)
    {
        var refused = await OpenEventsAsync(origin.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), Cookie);
        Assert.NotNull(refused);
    }

    [Fact]
    public async Task Events_NoOrigin_IsRefused() => Assert.NotNull(await OpenEventsAsync(origin: null, Cookie));

    [Fact]
    public async Task Events_NoCookie_IsRefused() => Assert.NotNull(await OpenEventsAsync($"http://127.0.0.1:{Port}", cookie: null));

    [Fact]
    public async Task Events_OwnOriginWithCookie_IsAcceptedAndGreets()
    {
        string? first = null;
        var refused = await OpenEventsAsync($"http://127.0.0.1:{Port}", Cookie, async socket =>
        {
            var buffer = new byte[4096];
            var result = await socket.ReceiveAsync(buffer, new CancellationTokenSource(Timeouts.Default).Token);
            first = Encoding.UTF8.GetString(buffer, 0, result.Count);
        });
        Assert.Null(refused);
        Assert.Contains("\"type\":\"hello\"", first, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"alice\"", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_GarbageAndOversizedCommands_AreAnsweredOrClosedNotCrashed()
    {
        var refused = await OpenEventsAsync($"http://127.0.0.1:{Port}", Cookie, async socket =>
        {
            using var timeout = new CancellationTokenSource(Timeouts.Default);
            var buffer = new byte[64 * 1024];
            await socket.ReceiveAsync(buffer, timeout.Token); // hello
            await socket.SendAsync(Encoding.UTF8.GetBytes("{not json"), WebSocketMessageType.Text, true, timeout.Token);
            var answer = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Contains("\"type\":\"error\"", Encoding.UTF8.GetString(buffer, 0, answer.Count), StringComparison.Ordinal);
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"send\",\"conv\":42,\"text\":\"x\"}"), WebSocketMessageType.Text, true, timeout.Token);
            answer = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Contains("no longer open", Encoding.UTF8.GetString(buffer, 0, answer.Count), StringComparison.Ordinal);
            var huge = new byte[PageSession.MaxCommandBytes + 1];
            huge.AsSpan().Fill((byte)'a');
            await socket.SendAsync(huge, WebSocketMessageType.Text, true, timeout.Token);
            var closing = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);
        });
        Assert.Null(refused);
        using var after = await GetAsync("/", Cookie); // the server still serves
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
