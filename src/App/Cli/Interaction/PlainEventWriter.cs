using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// Scripted mode without <c>--json</c>: what a person reading a log wants. Conversation lines go to stdout
/// (<c>bob: hi</c>); failures go to stderr so stdout stays the conversation. A message's own line breaks show as
/// continuation lines (<see cref="TerminalText.ContinuationPrefix"/>).
/// </summary>
internal sealed class PlainEventWriter : IEventWriter
{
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly Lock _gate = new();

    public PlainEventWriter(TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        _output = output;
        _error = error;
    }

    public void Write(ChatEvent chatEvent)
    {
        ArgumentNullException.ThrowIfNull(chatEvent);
        switch (chatEvent)
        {
            case Connected c:
                var mode = c.Encryption.Id;
                var protection = c.IsConfidential
                    ? (c.Fingerprint is { } fp ? $"{mode}, safety number {fp}" : $"{mode}, no safety number") + (c.IsPostQuantum ? ", post-quantum" : "")
                    : $"{mode}, {SecuritySummary.NotEncrypted}";
                Line(_output, $"connected to {c.Peer} ({protection})");
                if (PeerTrust.ContactNotice(c.Contact) is { } notice)
                    Line(_error, $"warning: {notice}.");
                if (!c.IsConfidential)
                    Line(_error, $"warning: this session is {SecuritySummary.NotEncrypted}: anyone on the path can read and change it.");
                break;
            case MessageReceived m:
                Line(_output, $"{m.From}: {TerminalText.Body(m.Text)}");
                break;
            case Delivered:
                break; // acknowledgements matter to the exit code, not to a reader
            case PeerFinished f:
                Line(_output, $"{f.Peer} has finished sending");
                break;
            case Disconnected d:
                Line(_output, $"disconnected: {d.Reason}");
                break;
            case PathChanged p:
                Line(_output, $"now on the {PathText.Name(p.Path)} path ({p.Remote}): {PathText.Reason(p.Reason)}");
                break;
            case ChatError e:
                Line(_error, $"error: {e.Message}");
                break;
        }
    }

    /// <summary>Quiet, as scripts expect: stderr carries only failures (progress is in the <c>--json</c> stream).</summary>
    public void Status(string text)
    {
    }

    public void Listening(string address) => Line(_output, $"listening on {address}");

    public void Code(string code, string instruction)
    {
        Line(_output, $"Your code is {code}");
        Line(_output, $"{instruction}");
    }

    /// <summary>Quiet, like <see cref="Status"/>: states are for <c>--json</c>.</summary>
    public void State(string state)
    {
    }

    /// <summary>Both safety numbers on stderr; the refusal's own sentence follows there as the command's failure.</summary>
    public void KeyChanged(PeerKeyChangedException changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        Line(_error, $"key changed: {changed.PeerName}: pinned safety number {changed.PinnedSafetyNumber ?? "unknown"}, new safety number {changed.PresentedSafetyNumber ?? "unknown"}");
    }

    public void Error(string message) => Line(_error, $"error: {message}");

    /// <summary>Every line goes out here: the values in it are escaped (<see cref="TerminalLine"/>), so a peer's text cannot drive the terminal.</summary>
    private void Line(TextWriter writer, TerminalLine line)
    {
        var text = line.ToString();
        lock (_gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }
}
