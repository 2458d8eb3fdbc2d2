using System.Threading.Channels;
using SecretChat.Chat;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// An interactive listener's questions about peers whose key changed: a session asks (<see cref="AskAsync"/>, from the
/// listener's handshake) and waits, the console takes the question when it can show it (<see cref="WaitAsync"/>, <see cref="TryTake"/>) and
/// answers. One question is shown at a time; a question nobody took before its session gave up is dropped unanswered.
/// </summary>
internal sealed class KeyChangeQuestions
{
    private readonly Channel<Question> _asked = Channel.CreateUnbounded<Question>();

    /// <summary>One question: what the user must see, and where the answer goes.</summary>
    public sealed record Question(PeerKeyChangedException Changed, TaskCompletionSource<bool> Answer, CancellationToken GivenUp);

    /// <summary>For <see cref="ChatOptions.AskToTrustChangedKey"/>: queues the question and waits for the user's answer.</summary>
    public async Task<bool> AskAsync(PeerKeyChangedException changed, CancellationToken givenUp)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var dropped = givenUp.Register(() => answer.TrySetResult(false));
        await _asked.Writer.WriteAsync(new Question(changed, answer, givenUp), givenUp).ConfigureAwait(false);
        return await answer.Task.ConfigureAwait(false);
    }

    /// <summary>Completes when a question may be waiting (<see cref="TryTake"/> then says); takes nothing itself.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _asked.Reader.WaitToReadAsync(cancellationToken).AsTask();

    /// <summary>The next question still waiting for its answer, if any; questions whose peer gave up are dropped.</summary>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Question? question)
    {
        while (_asked.Reader.TryRead(out question))
        {
            if (!question.GivenUp.IsCancellationRequested)
                return true;
        }
        question = null;
        return false;
    }
}
