using SecretChat.Chat;

namespace SecretChat.Cli.Interaction;

/// <summary>Where scripted mode reports what happens: JSON lines (<c>--json</c>) or plain lines. Safe to call from any thread.</summary>
internal interface IEventWriter
{
    void Write(ChatEvent chatEvent);

    /// <summary>Progress, e.g. "connecting to 127.0.0.1:5000".</summary>
    void Status(string text);

    /// <summary>A listener is bound (scripts need the port when they asked for port 0).</summary>
    void Listening(string address);

    /// <summary>A code to pass on (<c>{"event":"code","code":"…"}</c>), and what the other side runs with it.</summary>
    void Code(string code, string instruction);

    /// <summary>A failure outside a session's own events (a rejected peer, a failed connect).</summary>
    void Error(string message);
}
