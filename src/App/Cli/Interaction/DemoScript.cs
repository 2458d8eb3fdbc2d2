using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Cli.Settings;
using SecretChat.Security;
using Spectre.Console;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// <c>secretchat demo</c>: alice and bob in one process over loopback TCP, through the same connector as a real chat,
/// with a word on what each layer does.
/// </summary>
internal static class DemoScript
{
    private static readonly (string Speaker, string Text)[] Script =
    [
        ("bob", "hi alice, can you read this?"),
        ("alice", "loud and clear, bob 👋"),
        ("bob", "nobody in between can, I hope"),
        ("alice", "only if you picked pseudo mode 😉"),
    ];

    public static async Task<int> RunAsync(IChatConnector connector, AppSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(console);

        var step = TimeSpan.FromSeconds(settings.HandshakeTimeoutSeconds);
        var keys = Directory.CreateTempSubdirectory("secretchat-demo-");
        try
        {
            // Throwaway identities and pins: the demo must not touch the user's own keys or known peers.
            var common = settings.ToChatOptions(ChatTransport.Tcp, "127.0.0.1:0");
            var aliceOptions = common with
            {
                Name = "alice",
                IdentityPath = Path.Combine(keys.FullName, "alice.identity"),
                KnownPeersPath = Path.Combine(keys.FullName, "alice.known-peers"),
            };

            console.Write(new Rule("[bold]SecretChat demo[/]").LeftJustified());
            Say(console, $"Two peers in this process over loopback TCP, protected with {common.Encryption.Id}.");

            await using var listener = await connector.ListenAsync(aliceOptions, cancellationToken).ConfigureAwait(false);
            var address = listener.LocalEndPoint.ToString() ?? "127.0.0.1";
            Say(console, $"alice listens on {address}. On the wire every message is a length-prefixed frame, so the stream splits back into whole messages.");

            var bobOptions = common with
            {
                Name = "bob",
                EndPoint = address,
                IdentityPath = Path.Combine(keys.FullName, "bob.identity"),
                KnownPeersPath = Path.Combine(keys.FullName, "bob.known-peers"),
            };

            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var accept = listener.AcceptAsync(new InlineProgress(t => Progress(console, "alice", t)), failed.Token);
            var connect = connector.ConnectAsync(bobOptions, new InlineProgress(t => Progress(console, "bob", t)), failed.Token);
            IChat alice, bob;
            try
            {
                bob = await connect.ConfigureAwait(false);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false); // alice would wait for a peer forever
                throw;
            }

            await using (bob)
            {
                alice = await accept.WaitAsync(step, cancellationToken).ConfigureAwait(false);
                await using (alice)
                {
                    var connected = await NextAsync<Connected>(alice, 0, step, "alice never saw the handshake complete", cancellationToken).ConfigureAwait(false);
                    var bobSide = await NextAsync<Connected>(bob, 0, step, "bob never saw the handshake complete", cancellationToken).ConfigureAwait(false);
                    Say(console, $"Handshake done: bob introduced himself as '{connected.Peer}', alice as '{bobSide.Peer}'. The mode is bound into the handshake, so a downgrade would be detected.");
                    if (connected.IsConfidential)
                        console.Show($"  [green]{SecuritySummary.Describe(connected.Encryption)}[/]");
                    else
                        console.Show($"  [bold white on red] {SecuritySummary.NotEncrypted} [/] [red]{SecuritySummary.Describe(connected.Encryption)}[/]");
                    if (connected.Fingerprint is { } fingerprint)
                        Say(console, $"Safety number on alice's side: {fingerprint}; on bob's: {bobSide.Fingerprint}. People compare these out loud: equal numbers mean no one is in the middle.");

                    var peers = new Dictionary<string, IChat> { ["alice"] = alice, ["bob"] = bob };
                    var received = new Dictionary<string, int> { ["alice"] = 0, ["bob"] = 0 };
                    var delivered = new Dictionary<string, int> { ["alice"] = 0, ["bob"] = 0 };
                    foreach (var (speaker, text) in Script)
                    {
                        var listenerName = speaker == "alice" ? "bob" : "alice";
                        var id = await peers[speaker].SendAsync(text, cancellationToken).ConfigureAwait(false);
                        var message = await NextAsync<MessageReceived>(peers[listenerName], received[listenerName]++, step, $"{listenerName} never received message {id}", cancellationToken).ConfigureAwait(false);
                        console.Show($"  [bold aqua]{message.From}[/] → {listenerName}: {TerminalText.Body(message.Text)}");
                        var ack = await NextAsync<Delivered>(peers[speaker], delivered[speaker]++, step, $"{speaker} never got an acknowledgement for message {id}", cancellationToken).ConfigureAwait(false);
                        console.Show($"  [grey]{listenerName} acknowledged message {ack.Id}: sealed, sent, opened and checked against replays.[/]");
                    }

                    Say(console, "Both finish: each tells the other it is done, waits for every acknowledgement, and closes cleanly.");
                    var finished = await Task.WhenAll(alice.FinishAsync(cancellationToken), bob.FinishAsync(cancellationToken))
                        .WaitAsync(step, cancellationToken).ConfigureAwait(false);
                    if (!finished.All(ok => ok))
                        throw new ChatFailedException("The demo ended with messages that were never acknowledged.");
                    Say(console, "Done: every message arrived once, in order, and was acknowledged.");
                    return ExitCodes.Success;
                }
            }
        }
        catch (TimeoutException)
        {
            throw new ChatFailedException($"The demo stalled for more than {step.TotalSeconds:0.#} seconds.");
        }
        finally
        {
            try { keys.Delete(recursive: true); }
            catch (IOException) { /* a leftover temp folder is not worth failing the demo */ }
        }
    }

    private static async Task<T> NextAsync<T>(IChat chat, int skip, TimeSpan timeout, string failure, CancellationToken cancellationToken)
        where T : ChatEvent
    {
        try
        {
            // The demo's few events all stay in the replayed history, so counting finds the n-th event of a kind.
            return await chat.Events.OfType<T>().Skip(skip).FirstAsync().ToTask(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            throw new ChatFailedException($"The demo session ended early: {failure}.");
        }
        catch (TimeoutException)
        {
            throw new ChatFailedException($"The demo stalled: {failure}.");
        }
    }

    private static void Say(IAnsiConsole console, string text) => console.Show($"[yellow]»[/] {text}");

    private static void Progress(IAnsiConsole console, string who, string text) => console.Show($"  [grey]{who}: {text}[/]");
}
