using System.Diagnostics;
using System.Net;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Security;
using SecretChat.Web;

namespace SecretChat.Cli;

/// <summary>
/// <c>ui</c>: the graphical interactor. Serves the page (src/App/Web) on loopback, prints its URL with the token, and
/// opens sessions through the same connector and settings as <c>p2p</c>, <c>listen</c> and <c>connect</c>.
/// </summary>
internal static class UiCommand
{
    public static async Task<int> RunAsync(CliApp app, AppSettings settings, IPEndPoint listen, bool open, CancellationToken cancellationToken)
    {
        var confirmed = false;
        if (!IPAddress.IsLoopback(listen.Address))
        {
            app.IO.Error.WriteLine(
                $"{listen} is reachable from other machines: anyone there who learns the URL's token can chat as you. " +
                "Type 'yes' to serve there anyway.");
            var answer = await app.IO.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            confirmed = string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase);
            if (!confirmed)
            {
                await app.WriteErrorAsync("Not serving: the interface stays on loopback unless you confirm another address.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
        }

        var connector = app.CreateConnector(settings);
        var options = new UiOptions
        {
            Listen = listen,
            ConfirmedNonLoopback = confirmed,
            Connector = connector,
            ToChatOptions = request => ToChatOptions(settings, request),
            DescribeSecurity = SecuritySummary.Describe,
            Name = settings.EffectiveName,
        };
        await using var server = await UiServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
        app.IO.Out.WriteLine($"SecretChat's interface is at {server.Url}");
        app.IO.Out.WriteLine("Open it in a browser on this machine (the link carries a private token, new each run: keep it to yourself). Ctrl+C stops.");
        if (open) OpenBrowser(app, server.Url);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return ExitCodes.Interrupted;
    }

    /// <summary>A page's request with the settings merged in: the same mapping the console's commands use.</summary>
    internal static ChatOptions ToChatOptions(AppSettings settings, ConversationRequest request)
    {
        var endPoint = request.EndPoint ?? settings.Signaling.Server;
        var options = settings.ToChatOptions(request.Transport, endPoint, request.AcceptNewKey) with { Room = request.Room };
        if (request.Encryption is null)
            return options;
        return BuiltInModules.TryFind(request.Encryption, out var mode)
            ? options with { Encryption = mode }
            : throw new SettingsException($"The encryption '{request.Encryption}' is not one of noise, rsa or pseudo.");
    }

    private static void OpenBrowser(CliApp app, Uri url)
    {
        var opener = OperatingSystem.IsWindows() ? "explorer" : OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        try
        {
            var info = new ProcessStartInfo(opener) { UseShellExecute = false };
            info.ArgumentList.Add(url.ToString());
            using var process = Process.Start(info);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            app.IO.Error.WriteLine($"Could not open a browser ({opener}: {e.Message}); open the URL above yourself.");
        }
    }
}
