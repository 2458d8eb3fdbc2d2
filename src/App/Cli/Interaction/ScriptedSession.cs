using SecretChat.Chat;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// Scripted use (stdin is not a terminal, or <c>--json</c>): each input line is one message; at end of input the
/// session finishes (the peer acknowledges everything, both sides close) and the exit code says whether it all arrived.
/// </summary>
internal static class ScriptedSession
{
    /// <summary>How long to wait for the final events after the session has completed.</summary>
    private static readonly TimeSpan EventDrainTimeout = TimeSpan.FromSeconds(5);

    /// <returns><see cref="ExitCodes.Success"/> if every line was sent and acknowledged and the session ended cleanly.</returns>
    public static async Task<int> RunAsync(IChat chat, TextReader input, IEventWriter writer, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(error);

        Disconnected? disconnected = null;
        var eventsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = chat.Events.Subscribe(
            e =>
            {
                if (e is Disconnected d) disconnected = d;
                writer.Write(e);
            },
            ex =>
            {
                writer.Error(ex.Message);
                eventsDone.TrySetResult();
            },
            () => eventsDone.TrySetResult());

        // A read of the console cannot be cancelled once it blocks: Ctrl+C is raced against it instead of waiting for a line.
        var interrupted = Task.Delay(Timeout.Infinite, cancellationToken);
        try
        {
            bool everyLineSent = true;
            bool endedEarly = false;
            while (true)
            {
                var read = input.ReadLineAsync(cancellationToken).AsTask();
                var first = await Task.WhenAny(read, chat.Completion, interrupted).ConfigureAwait(false);
                if (first == interrupted)
                    cancellationToken.ThrowIfCancellationRequested();
                if (first != read)
                {
                    endedEarly = true; // the session ended before our input did; the pending read is abandoned
                    break;
                }

                var line = await read.ConfigureAwait(false);
                if (line is null) break;
                try
                {
                    await chat.SendAsync(line, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    everyLineSent = false;
                    writer.Error(UserSentences.LineNotSent(ex));
                }
                catch (InvalidOperationException)
                {
                    endedEarly = true;
                    break;
                }
            }

            if (!endedEarly)
                writer.State(SessionStates.Closing);
            bool acknowledged = !endedEarly && await chat.FinishAsync(cancellationToken).ConfigureAwait(false);
            await chat.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            await DrainAsync(eventsDone.Task).ConfigureAwait(false);

            if (acknowledged && everyLineSent && disconnected is { Clean: true })
                return ExitCodes.Success;

            // The sentence may hold the peer's close reason: escaped like every line of the writers.
            await error.WriteLineAsync(TerminalText.Escape(UserSentences.ScriptedFailure(disconnected, endedEarly, acknowledged, everyLineSent))).ConfigureAwait(false);
            await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            writer.State(SessionStates.Closing);
            await chat.CloseAsync("interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }

    private static async Task DrainAsync(Task eventsDone)
    {
        try
        {
            await eventsDone.WaitAsync(EventDrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The chat completed without completing its events: report what we have rather than hang.
        }
    }
}
