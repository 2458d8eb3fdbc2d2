using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SecretChat.Cli;

/// <summary>
/// What <c>secretchat signal --metrics ADDR:PORT</c> serves over HTTP on that address only: <c>GET /metrics</c> (the
/// Prometheus text format of <see cref="SignalMetrics"/>) and <c>GET /health</c> (200 "ok", or 503 and the first
/// reason a check gives). Everything else is 404; nothing a client sends is echoed.
/// </summary>
internal sealed class MonitoringEndpoint : IAsyncDisposable
{
    /// <summary>The content type of the Prometheus text exposition format.</summary>
    public const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;

    private MonitoringEndpoint(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>The address and port served (the port chosen, when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Binds <paramref name="listen"/> and serves. <paramref name="health"/> gives the reason the server is not healthy, or
    /// null when it is; it is asked on every <c>/health</c> request and given 2 s.
    /// </summary>
    /// <exception cref="AddressInUseException">The port is taken.</exception>
    public static async Task<MonitoringEndpoint> StartAsync(
        IPEndPoint listen, SignalMetrics metrics, Func<CancellationToken, Task<string?>> health, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(health);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(listen);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0; // scrapes and probes are GETs
            kestrel.Limits.MaxRequestHeadersTotalSize = 8 * 1024;
            kestrel.Limits.MaxConcurrentConnections = 64;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(context => HandleAsync(context, metrics, health));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Urls.First();
        return new MonitoringEndpoint(app, new IPEndPoint(listen.Address, new Uri(address).Port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task HandleAsync(HttpContext context, SignalMetrics metrics, Func<CancellationToken, Task<string?>> health)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        switch (request.Path.Value)
        {
            case "/metrics":
                response.ContentType = MetricsContentType;
                await metrics.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
                return;
            case "/health":
                var problem = await CheckAsync(health, context.RequestAborted).ConfigureAwait(false);
                response.StatusCode = problem is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync((problem ?? "ok") + "\n", context.RequestAborted).ConfigureAwait(false);
                return;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync("not found: this endpoint serves /metrics and /health\n", context.RequestAborted).ConfigureAwait(false);
                return;
        }
    }

    private static async Task<string?> CheckAsync(Func<CancellationToken, Task<string?>> health, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            return await health(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return $"the health check did not finish within {CheckTimeout.TotalSeconds:0} s";
        }
#pragma warning disable CA1031 // a failing check is an unhealthy server, never a failed request
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return $"the health check failed: {ex.Message}";
        }
    }
}
