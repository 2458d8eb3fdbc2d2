using System.Collections.Concurrent;
using System.Net;
using System.Reactive.Subjects;
using System.Threading.Channels;
using SecretChat.Chat;

namespace SecretChat.App.Tests.Fakes;

/// <summary>An <see cref="IChatConnector"/> that hands out the chats a test prepared, and records the options it got.</summary>
internal sealed class FakeConnector : IChatConnector
{
    public Func<ChatOptions, IProgress<string>?, CancellationToken, Task<IChat>> OnConnect { get; set; } =
        (_, _, _) => Task.FromResult<IChat>(new FakeChat(FakeChat.ConnectedEvent()));

    public ConcurrentQueue<ChatOptions> Connects { get; } = new();

    public ConcurrentQueue<ChatOptions> Listens { get; } = new();

    public FakeListener Listener { get; } = new();

    public ChatOptions LastOptions => Connects.Concat(Listens).Last();

    public Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        Connects.Enqueue(options);
        return OnConnect(options, progress, cancellationToken);
    }

    public Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
    {
        Listens.Enqueue(options);
        return Task.FromResult<IChatListener>(Listener);
    }
}

/// <summary>A listener whose peers the test admits (<see cref="Admit"/>) or turns away (<see cref="Reject"/>).</summary>
internal sealed class FakeListener : IChatListener
{
    private readonly Channel<IChat> _peers = Channel.CreateUnbounded<IChat>();
    private readonly Subject<string> _rejections = new();
    private readonly TaskCompletionSource _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 50123);

    public IObservable<string> Rejections => _rejections;

    /// <summary>Completes when the app first waits for a peer (it has subscribed to rejections by then).</summary>
    public Task Accepting => _accepting.Task;

    public int AcceptCalls { get; private set; }

    public bool Disposed { get; private set; }

    public void Reject(string reason) => _rejections.OnNext(reason);

    public void Admit(IChat chat) => _peers.Writer.TryWrite(chat);

    public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        AcceptCalls++;
        _accepting.TrySetResult();
        var chat = await _peers.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        progress?.Report("handshake complete");
        return chat;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
