namespace SecretChat.Tests;

/// <summary>
/// Sends every message through <c>send</c> as fast as the sender's window allows while virtual time runs,
/// without awaiting on another thread (so a run stays deterministic): call <see cref="Pump"/> between steps.
/// </summary>
public sealed class MessageFeeder(Func<ReadOnlyMemory<byte>, ValueTask> send, IReadOnlyList<byte[]> messages)
{
    private Task? _waiting;

    /// <summary>How many messages were handed to <c>send</c>.</summary>
    public int Next { get; private set; }

    /// <summary>Every message was handed over and the last send completed.</summary>
    public bool Done => Next == messages.Count && (_waiting is null || _waiting.IsCompleted);

    public void Pump()
    {
        while (Next < messages.Count)
        {
            if (_waiting is { IsCompleted: false })
                return;
            _waiting?.GetAwaiter().GetResult();
            var sent = send(messages[Next++]);
            _waiting = sent.IsCompletedSuccessfully ? null : sent.AsTask();
        }
    }
}
