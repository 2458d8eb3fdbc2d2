using System.Reactive.Linq;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Cli.Settings;
using SecretChat.Security;

namespace SecretChat.Cli;

/// <summary><c>listen</c> and <c>connect</c> once the command line and settings are merged: picks the interactor and runs it.</summary>
internal sealed class SessionCommand
{
    private readonly CliApp _app;
    private readonly AppSettings _settings;
    private readonly ChatOptions _options;
    private readonly bool _json;

    public SessionCommand(CliApp app, AppSettings settings, ChatOptions options, bool json)
    {
        _app = app;
        _settings = settings;
        _options = options;
        _json = json;
    }

    private IConsoleIO IO => _app.IO;

    private bool Scripted => _json || IO.IsInputRedirected;

    private string Transport => _options.Transport == ChatTransport.Tcp ? "tcp" : "udp";

    /// <summary>Where this side is going, for progress lines.</summary>
    private string Destination => _options.Transport == ChatTransport.PeerToPeer
        ? $"room '{_options.Room}' via the signaling server {_options.EndPoint}"
        : $"{_options.EndPoint} over {Transport}";

    public async Task<int> ConnectAsync(CancellationToken cancellationToken)
    {
        var connector = _app.CreateConnector(_settings);
        if (Scripted)
        {
            var writer = CreateWriter();
            // The connector reports the phases it goes through (and p2p its steps in words); the first is said at once,
            // and once: the progress drops a phase reported twice in a row.
            var progress = new WriterProgress(writer);
            ((IProgress<ConnectPhase>)progress).Report(ConnectPhase.Connecting);
            IChat chat;
            try
            {
                chat = await connector.ConnectAsync(_options, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (PeerKeyChangedException changed)
            {
                writer.KeyChanged(changed); // typed, with both safety numbers; the sentence goes to stderr as the failure
                throw;
            }
            catch (ChatFailedException ex) when (_json)
            {
                writer.Error(ex.Message); // scripts reading stdout see why, too
                throw;
            }

            await using (chat.ConfigureAwait(false))
                return await ScriptedSession.RunAsync(chat, IO.In, writer, IO.Error, cancellationToken).ConfigureAwait(false);
        }

        var lines = new ConsoleLines(IO.In);
        var console = new InteractiveConsole(IO.Ansi, lines, Commands());
        while (true)
        {
            IChat session;
            try
            {
                session = await console.WithSpinnerAsync(
                    $"Connecting to {Destination}…",
                    progress => connector.ConnectAsync(_options, progress, cancellationToken)).ConfigureAwait(false);
            }
            catch (PeerKeyChangedException changed)
            {
                if (await PeerTrust.OfferTrustAsync(console, lines, changed).ConfigureAwait(false))
                    continue;
                return ExitCodes.Failure;
            }

            await using (session.ConfigureAwait(false))
            using (FinishWhenThePeerFinishes(session))
                return await console.RunSessionAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int> ListenAsync(CancellationToken cancellationToken)
    {
        var connector = _app.CreateConnector(_settings);
        var listener = await connector.ListenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using (listener.ConfigureAwait(false))
        {
            var address = listener.LocalEndPoint.ToString() ?? _options.EndPoint;
            return Scripted
                ? await ServeOneAsync(listener, address, cancellationToken).ConfigureAwait(false)
                : await ServeUntilInterruptedAsync(listener, address, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> ServeOneAsync(IChatListener listener, string address, CancellationToken cancellationToken)
    {
        var writer = CreateWriter();
        writer.Listening(address);
        using var rejections = listener.Rejections.Subscribe(reason =>
        {
            writer.Error(reason); // the plain writer puts it on stderr
            if (_json) _app.WriteError(reason);
        });
        IChat chat;
        try
        {
            // Only a peer whose handshake completed and was accepted claims the one session; strangers that fail are
            // rejections, and the wait goes on.
            chat = await listener.AcceptAsync(new WriterProgress(writer), cancellationToken).ConfigureAwait(false);
        }
        catch (ChatFailedException ex) when (_json)
        {
            writer.Error(ex.Message); // scripts reading stdout see why, too
            throw;
        }
        await using (chat.ConfigureAwait(false))
            return await ScriptedSession.RunAsync(chat, IO.In, writer, IO.Error, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ServeUntilInterruptedAsync(IChatListener listener, string address, CancellationToken cancellationToken)
    {
        var console = new InteractiveConsole(IO.Ansi, new ConsoleLines(IO.In), Commands());
        using var rejections = listener.Rejections.Subscribe(reason => console.Error($"Rejected a peer: {reason}"));
        console.Info($"Listening on {address} ({Transport}). Ctrl+C stops.");
        while (true)
        {
            var session = await console.WithSpinnerAsync(
                $"Waiting for a peer on {address}…",
                progress => listener.AcceptAsync(progress, cancellationToken)).ConfigureAwait(false);
            await using (session.ConfigureAwait(false))
            using (FinishWhenThePeerFinishes(session))
            {
                var code = await console.RunSessionAsync(session, cancellationToken).ConfigureAwait(false);
                if (code == ExitCodes.Interrupted) return code;
            }

            console.Info($"Waiting for the next peer on {address}; Ctrl+C stops.");
        }
    }

    /// <summary>
    /// A person at the console has nothing more for a peer that has finished: this side finishes too (once what it sent
    /// is acknowledged), so both sides close, a scripted peer exits, and a listener goes back to waiting. Without it a
    /// scripted peer waits for ever for a Finished that a person never types.
    /// </summary>
    private static IDisposable FinishWhenThePeerFinishes(IChat chat) =>
        chat.Events.OfType<PeerFinished>().Take(1).Subscribe(finished => { _ = chat.FinishAsync(); });

    /// <summary>The slash commands for this session: the defaults, plus /verify where peers have identities.</summary>
    private ConsoleCommands Commands()
    {
        var commands = ConsoleCommands.CreateDefault();
        return _options.Encryption.HasFingerprint
            ? commands.AddVerify(SecretChat.Chat.Composition.KnownPeersLocation.Resolve(_options))
            : commands;
    }

    private IEventWriter CreateWriter() => _json ? new JsonEventWriter(IO.Out) : new PlainEventWriter(IO.Out, IO.Error);
}
