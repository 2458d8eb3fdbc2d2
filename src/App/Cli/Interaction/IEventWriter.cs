using SecretChat.Chat;

namespace SecretChat.Cli.Interaction;

/// <summary>Where scripted mode reports what happens: JSON lines (<c>--json</c>) or plain lines. Safe to call from any thread.</summary>
internal interface IEventWriter
{
    void Write(ChatEvent chatEvent);

    /// <summary>Progress in words, e.g. "registered as 198.51.100.11:40000; waiting for the peer".</summary>
    void Status(string text);

    /// <summary>A listener is bound (scripts need the port when they asked for port 0): the <c>listening</c> state.</summary>
    void Listening(string address);

    /// <summary>A code to pass on (<c>{"event":"code","code":"…"}</c>), and what the other side runs with it.</summary>
    void Code(string code, string instruction);

    /// <summary>The session moved to <paramref name="state"/> (<see cref="SessionStates"/>: connecting, handshaking, verifying, closing).</summary>
    void State(string state);

    /// <summary>A pinned peer presented another key and was refused: both safety numbers, and what to do.</summary>
    void KeyChanged(PeerKeyChangedException changed);

    /// <summary>A failure outside a session's own events (a rejected peer, a failed connect).</summary>
    void Error(string message);
}

/// <summary>The names of the states a scripted session reports (<c>--json</c>'s <c>"state"</c> field), in the order they come.</summary>
internal static class SessionStates
{
    public const string Listening = "listening";
    public const string Connecting = "connecting";
    public const string Handshaking = "handshaking";
    public const string Verifying = "verifying";
    public const string Connected = "connected";
    public const string Closing = "closing";

    public static string Name(ConnectPhase phase) => phase switch
    {
        ConnectPhase.Connecting => Connecting,
        ConnectPhase.Handshaking => Handshaking,
        _ => Verifying,
    };
}

/// <summary>
/// A connect's or an accept's progress for an event writer: sentences become <c>status</c> lines, phases become states;
/// the same sentence twice in a row is written once.
/// </summary>
internal sealed class WriterProgress(IEventWriter writer) : IProgress<string>, IProgress<ConnectPhase>
{
    private readonly Lock _gate = new();
    private string? _last;
    private string? _lastState;

    public void Report(string value)
    {
        lock (_gate)
        {
            if (value == _last)
                return;
            _last = value;
        }
        writer.Status(value);
    }

    public void Report(ConnectPhase value)
    {
        var state = SessionStates.Name(value);
        lock (_gate)
        {
            if (state == _lastState)
                return;
            _lastState = state;
        }
        writer.State(state);
    }
}
