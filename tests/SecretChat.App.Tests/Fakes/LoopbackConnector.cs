using System.Net;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.App.Tests.Fakes;

/// <summary>
/// Two in-memory peers wired back to back, for the demo: what one sends the other receives, acknowledged at once;
/// the session ends cleanly when both have finished.
/// </summary>
internal sealed class LoopbackConnector : IChatConnector
{
    private readonly TaskCompletionSource<IChat> _listenerSide = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChatOptions? _listenOptions;

    public Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
    {
        _listenOptions = options;
        return Task.FromResult<IChatListener>(new Listener(_listenerSide.Task));
    }

    public Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var listenOptions = _listenOptions ?? throw new InvalidOperationException("Nobody is listening.");
        progress?.Report("handshaking");
        var a = new Peer(listenOptions);
        var b = new Peer(options);
        a.Other = b;
        b.Other = a;
        a.Start(options);
        b.Start(listenOptions);
        _listenerSide.TrySetResult(a);
        return Task.FromResult<IChat>(b);
    }

    private sealed class Listener(Task<IChat> next) : IChatListener
    {
        public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 50124);

        public IObservable<string> Rejections => Observable.Never<string>();

        public Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
            next.WaitAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Peer(ChatOptions own) : IChat
    {
        private readonly ReplaySubject<ChatEvent> _events = new();
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private ulong _nextId;

        public Peer Other { get; set; } = null!;

        public bool Finished { get; private set; }

        public IObservable<ChatEvent> Events => _events;

        public Task Completion => _completion.Task;

        public void Start(ChatOptions peer) => Emit(new Connected(
            peer.Name, SecretChat.Transport.TransportKind.Tcp, SecretChat.Security.PathKind.Direct, own.Encryption, own.Encryption != BuiltInModules.Pseudo,
            own.Encryption == BuiltInModules.Noise ? "11111 22222 33333 44444" : null, System.Net.IPEndPoint.Parse("127.0.0.1:50124")));

        public ValueTask<LocalMessageId> SendAsync(string text, CancellationToken cancellationToken = default)
        {
            var id = new LocalMessageId(Interlocked.Increment(ref _nextId));
            Emit(new MessageSent(id, text));
            Other.Emit(new MessageReceived(own.Name, new PeerMessageId(id.Value), DateTimeOffset.UtcNow, text));
            Emit(new Delivered(id));
            return ValueTask.FromResult(id);
        }

        public async Task<bool> FinishAsync(CancellationToken cancellationToken = default)
        {
            Finished = true;
            Other.Emit(new PeerFinished(own.Name));
            if (Other.Finished)
            {
                End();
                Other.End();
            }

            await _completion.Task.WaitAsync(cancellationToken);
            return true;
        }

        public ValueTask CloseAsync(string reason = "closed by the user", CancellationToken cancellationToken = default)
        {
            End();
            Other.End();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private void Emit(ChatEvent e)
        {
            lock (_gate) _events.OnNext(e);
        }

        private void End()
        {
            lock (_gate)
            {
                if (_completion.Task.IsCompleted) return;
                _events.OnNext(new Disconnected("both sides finished", true));
                _events.OnCompleted();
            }

            _completion.TrySetResult();
        }
    }
}
