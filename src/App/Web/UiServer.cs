using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretChat.Web;

/// <summary>
/// The web interactor's server: the page's files and one WebSocket per open page, behind <see cref="UiAccess"/>.
/// Every response carries a strict Content-Security-Policy: scripts and styles only from the page's own files.
/// </summary>
internal sealed class UiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private UiServer(WebApplication app, UiAccess access, IPEndPoint served)
    {
        _app = app;
        Access = access;
        EndPoint = served;
    }

    public UiAccess Access { get; }

    /// <summary>The address and port served (the port chosen, when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The page's address without the token (what the Host check accepts).</summary>
    public Uri BaseAddress => new($"http://{(EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString())}:{EndPoint.Port}/");

    /// <summary>The URL to print or open: the page's address with the token.</summary>
    public Uri Url => new(BaseAddress, $"/?{UiAccess.TokenParameter}={Access.Token}");

    /// <summary>Binds and starts serving. Refuses a non-loopback address the user did not confirm.</summary>
    /// <exception cref="InvalidOperationException">A non-loopback address without confirmation (one sentence for the user).</exception>
    public static async Task<UiServer> StartAsync(UiOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!UiAccess.IsLoopback(options.Listen.Address) && !options.ConfirmedNonLoopback)
            throw new InvalidOperationException(
                $"The interface serves on loopback only; {options.Listen} is reachable from other machines, so it needs your confirmation.");

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0; // the page posts nothing: everything goes over the WebSocket
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        UiServer? server = null; // known once bound: the Host check needs the port chosen
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Run(context => server is { } ready
            ? ready.HandleAsync(context, options)
            : RefuseAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "Starting; try again."));

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var served = new IPEndPoint(options.Listen.Address, new Uri(address).Port);
        server = new UiServer(app, new UiAccess(options.Token ?? UiAccess.NewToken(), served), served);
        return server;
    }

    private async Task HandleAsync(HttpContext context, UiOptions options)
    {
        var request = context.Request;
        var response = context.Response;
        var host = request.Host.Value;
        var allowedHost = Access.IsAllowedHost(host);
        // The WebSocket's own address is named only once the Host is known to be ours: nothing foreign is echoed.
        response.Headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
            $"connect-src 'self'{(allowedHost ? $" ws://{host}" : "")}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";

        if (!allowedHost)
        {
            await RefuseAsync(response, StatusCodes.Status421MisdirectedRequest, "This interface answers only to the address secretchat ui printed.").ConfigureAwait(false);
            return;
        }

        if (request.Query.TryGetValue(UiAccess.TokenParameter, out var token))
        {
            if (!HttpMethods.IsGet(request.Method) || !Access.IsToken(token.ToString()))
            {
                await RefuseAsync(response, StatusCodes.Status403Forbidden, "This link's token is not valid: open the URL secretchat ui printed.").ConfigureAwait(false);
                return;
            }
            response.Cookies.Append(UiAccess.CookieName, Access.Token, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                IsEssential = true,
            });
            response.Redirect("/"); // the token leaves the address bar and the history
            return;
        }

        if (!Access.IsToken(request.Cookies[UiAccess.CookieName]))
        {
            await RefuseAsync(response, StatusCodes.Status403Forbidden, "Open the URL secretchat ui printed: it carries the token that lets this browser in.").ConfigureAwait(false);
            return;
        }

        if (request.Path == "/events")
        {
            if (!context.WebSockets.IsWebSocketRequest || !Access.IsOwnOrigin(request.Headers.Origin.ToString(), host))
            {
                await RefuseAsync(response, StatusCodes.Status403Forbidden, "WebSockets are accepted only from this interface's own page.").ConfigureAwait(false);
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await new PageSession(socket, options).RunAsync(stopping.Token).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await RefuseAsync(response, StatusCodes.Status405MethodNotAllowed, "Only GET is served.").ConfigureAwait(false);
            return;
        }

        if (!StaticFiles.TryGet(request.Path.Value ?? "/", out var content, out var contentType))
        {
            await RefuseAsync(response, StatusCodes.Status404NotFound, "Not found.").ConfigureAwait(false);
            return;
        }
        response.ContentType = contentType;
        response.ContentLength = content.Length;
        if (HttpMethods.IsGet(request.Method))
            await response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task RefuseAsync(HttpResponse response, int status, string sentence)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(sentence + "\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
