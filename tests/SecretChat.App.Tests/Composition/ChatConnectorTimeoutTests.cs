using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Reactive.Testing;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>The connect timeout bounds the whole connect, in virtual time: the phases share it instead of each having it.</summary>
public sealed class ChatConnectorTimeoutTests
{
    [Fact]
    public async Task ConnectAsync_SlowResolveThenSilentPeer_FailsWhenTheWholeTimeoutHasPassed()
    {
        var scheduler = new TestScheduler();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var connector = new ChatConnector(scheduler, new SlowResolver(scheduler, TimeSpan.FromSeconds(4)));
        var phases = new Phases();

        var connecting = connector.ConnectAsync(new ChatOptions
        {
            Transport = ChatTransport.Tcp,
            EndPoint = $"peer.test:{port}",
            Encryption = BuiltInModules.Pseudo,
            HandshakeTimeout = TimeSpan.FromSeconds(5),
        }, phases);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(4).Ticks); // the name is resolved after 4 of the 5 s
        using var accepted = await silent.AcceptSocketAsync().WaitAsync(Timeouts.Default);
        await phases.Handshaking.Task.WaitAsync(Timeouts.Default);
        Assert.False(connecting.IsCompleted);

        // Each phase having the whole 5 s, the handshake would run until 9 s; the connect as a whole ends at 5 s.
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var error = await Assert.ThrowsAsync<ChatFailedException>(() => connecting.WaitAsync(Timeouts.Default));
        Assert.Equal($"The peer at 127.0.0.1:{port} did not answer the handshake within 5 s.", error.Message);
    }

    /// <summary>Hears the connect's phases; <see cref="Handshaking"/> completes when the handshake starts.</summary>
    private sealed class Phases : IProgress<string>, IProgress<ConnectPhase>
    {
        public TaskCompletionSource Handshaking { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Report(string value)
        {
        }

        public void Report(ConnectPhase value)
        {
            if (value == ConnectPhase.Handshaking)
                Handshaking.TrySetResult();
        }
    }

    /// <summary>Answers 127.0.0.1 for every name, after a delay on the test's clock.</summary>
    private sealed class SlowResolver(TestScheduler scheduler, TimeSpan delay) : IHostResolver
    {
        public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default)
        {
            await Observable.Timer(delay, scheduler).ToTask(cancellationToken);
            return [IPAddress.Loopback];
        }
    }
}
