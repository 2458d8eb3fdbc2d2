using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SecretChat.App.Chat;
using SecretChat.App.Interaction;
using SecretChat.App.Settings;
using SecretChat.Signaling;

namespace SecretChat.App.Cli;

/// <summary><c>secretchat signal</c>: runs the signaling server (and STUN responder) until Ctrl+C or SIGTERM, then exits 0.</summary>
internal static class SignalCommand
{
    public static async Task<int> RunAsync(CliApp app, AppSettings settings, string? listenFlag, CancellationToken cancellationToken)
    {
        var listenText = listenFlag ?? settings.Signaling.Listen;
        var listen = ParseListen(listenText);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Service managers stop with SIGTERM: treat it like Ctrl+C, a clean shutdown.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggers.CreateLogger("SecretChat.Signal");

        SignalingServer server;
        try
        {
            server = SignalingServer.Start(listen, new SignalingServerOptions(), logger);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ChatFailedException($"Cannot listen on udp {listenText}: the port is already in use (is another signaling or STUN server running?).", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AccessDenied)
        {
            throw new ChatFailedException($"Cannot listen on udp {listenText}: permission denied (ports below 1024 need privileges).", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable)
        {
            throw new ChatFailedException($"Cannot listen on udp {listenText}: that address is not on this machine.", ex);
        }

        await using (server.ConfigureAwait(false))
        {
            await app.IO.Out.WriteLineAsync($"signaling server listening on udp {server.LocalEndPoint} (STUN too); Ctrl+C stops it").ConfigureAwait(false);
            await app.IO.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: the normal way to stop a server.
            }

            logger.LogInformation("Shutting down: {Statistics}", server.Statistics);
        }

        return ExitCodes.Success;
    }

    private static IPEndPoint ParseListen(string text)
    {
        if (!EndPointText.TryParse(text, allowPortZero: true, out var host, out var port))
            throw new SettingsException($"'{text}' is not an address to listen on: expected ADDR:PORT, e.g. 0.0.0.0:3478.");
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return new IPEndPoint(IPAddress.Loopback, port);
        if (!IPAddress.TryParse(host, out var address))
            throw new SettingsException($"'{text}' is not an address to listen on: give an IP address of this machine (0.0.0.0 for all), not a name.");
        return new IPEndPoint(address, port);
    }
}
