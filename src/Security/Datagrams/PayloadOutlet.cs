namespace SecretChat.Security.Datagrams;

/// <summary>
/// Where a <see cref="SecureDatagramChannel"/>'s authenticated payloads go: its one subscriber, and until it comes the
/// few payloads that arrived first (the layer above is usually wired a moment after the handshake completes). Holds
/// the channel's end too, for a subscriber that comes after it. Not thread-safe: the channel calls it under its lock.
/// </summary>
internal sealed class PayloadOutlet(int capacity)
{
    private readonly Queue<byte[]> _early = new();
    private IObserver<ReadOnlyMemory<byte>>? _observer;
    private bool _ended;
    private Exception? _error;

    /// <summary>Takes <paramref name="observer"/> as the subscriber and hands it the early payloads, in order; false when there is one already (it is told so).</summary>
    public bool Attach(IObserver<ReadOnlyMemory<byte>> observer)
    {
        if (_ended)
        {
            if (_error is null)
                observer.OnCompleted();
            else
                observer.OnError(_error);
            return false;
        }
        if (_observer is not null)
        {
            observer.OnError(new InvalidOperationException("The payloads of a datagram channel take one subscriber at a time."));
            return false;
        }
        _observer = observer;
        while (_early.TryDequeue(out var early))
            observer.OnNext(early);
        return true;
    }

    public void Detach(IObserver<ReadOnlyMemory<byte>> observer)
    {
        if (ReferenceEquals(_observer, observer))
            _observer = null;
    }

    /// <summary>Hands <paramref name="payload"/> (valid during the call) to the subscriber, or keeps a copy; false when it had to be dropped.</summary>
    public bool Deliver(ReadOnlyMemory<byte> payload, out bool kept)
    {
        kept = false;
        if (_observer is { } observer)
        {
            observer.OnNext(payload);
            return true;
        }
        if (_early.Count >= capacity)
            return false;
        _early.Enqueue(payload.ToArray());
        kept = true;
        return true;
    }

    /// <summary>Ends the payloads: completes them (null) or fails them with <paramref name="error"/>.</summary>
    public void End(Exception? error)
    {
        if (_ended)
            return;
        _ended = true;
        _error = error;
        var observer = _observer;
        _observer = null;
        if (error is null)
            observer?.OnCompleted();
        else
            observer?.OnError(error);
    }
}
