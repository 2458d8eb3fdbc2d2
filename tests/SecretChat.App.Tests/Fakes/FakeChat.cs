using System.Collections.Concurrent;
using System.Reactive.Subjects;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.App.Tests.Fakes;

/// <summary>An <see cref="IChat"/> whose events the test pushes; records what the app sends and how it ends the session.</summary>
internal sealed class FakeChat : IChat
{
    private readonly ReplaySubject<ChatEvent> _events = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<LocalMessageId> _unacknowledged = [];
    private ulong _nextId;
    private bool _finished;

    public FakeChat(Connected? connected = null)
    {
        if (connected is not null) Emit(connected);
    }

    public static Connected ConnectedEvent(SecurityModuleInfo? encryption = null, string peer = "bob") => Connected(encryption ?? BuiltInModules.Noise, peer);

    private static Connected Connected(SecurityModuleInfo encryption, string peer) => new(
        peer, SecretChat.Transport.TransportKind.Tcp, SecretChat.Security.PathKind.Direct, encryption, encryption != BuiltInModules.Pseudo,
        encryption == BuiltInModules.Noise ? "12345 67890 13579 24680" : null, System.Net.IPEndPoint.Parse("127.0.0.1:5000"));

    public IObservable<ChatEvent> Events => _events;

    public Task Completion => _completion.Task;

    public ConcurrentQueue<string> Sent { get; } = new();

    /// <summary>What <see cref="FinishAsync"/> returns.</summary>
    public bool FinishResult { get; set; } = true;

    /// <summary>Whether each send is followed by a <see cref="Delivered"/> event (else the session's end reports it undelivered).</summary>
    public bool Acknowledge { get; set; } = true;

    public int FinishCalls { get; private set; }

    public string? ClosedWith { get; private set; }

    public bool Disposed { get; private set; }

    public void Emit(ChatEvent chatEvent)
    {
        lock (_gate) _events.OnNext(chatEvent);
    }

    /// <summary>Ends the session from the peer's side (or the network's).</summary>
    public void End(string reason, bool clean)
    {
        lock (_gate)
        {
            if (_completion.Task.IsCompleted) return;
            foreach (var id in _unacknowledged) _events.OnNext(new MessageUndelivered(id, reason));
            _events.OnNext(new Disconnected(reason, clean));
            _events.OnCompleted();
        }

        _completion.TrySetResult();
    }

    public ValueTask<LocalMessageId> SendAsync(string text, CancellationToken cancellationToken = default)
    {
        LocalMessageId id;
        lock (_gate)
        {
            if (_finished || _completion.Task.IsCompleted) throw new InvalidOperationException("The session has ended.");
            if (text.Length > 1000) throw new ArgumentException("The text is too long for one message.", nameof(text));
            id = new LocalMessageId(++_nextId);
            Sent.Enqueue(text);
            _events.OnNext(new MessageSent(id, text));
            if (Acknowledge) _events.OnNext(new Delivered(id));
            else _unacknowledged.Add(id);
        }

        return ValueTask.FromResult(id);
    }

    /// <summary>The peer acknowledges message <paramref name="id"/> (when <see cref="Acknowledge"/> is off).</summary>
    public void Deliver(LocalMessageId id)
    {
        lock (_gate)
        {
            if (_unacknowledged.Remove(id)) _events.OnNext(new Delivered(id));
        }
    }

    public Task<bool> FinishAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            FinishCalls++;
            _finished = true;
        }

        End("both sides finished", clean: true);
        return Task.FromResult(FinishResult);
    }

    public ValueTask CloseAsync(string reason = "closed by the user", CancellationToken cancellationToken = default)
    {
        ClosedWith ??= reason;
        End(reason, clean: true);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
