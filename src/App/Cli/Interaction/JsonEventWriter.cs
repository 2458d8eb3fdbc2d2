using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// One JSON object per line per event (the <c>--json</c> contract in README.md: keep field names stable),
/// flushed per line so a script reading the pipe sees each event as it happens.
/// </summary>
internal sealed class JsonEventWriter : IEventWriter
{
    // Non-ASCII text stays readable; quotes, backslashes and control characters are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _output;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public JsonEventWriter(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void Write(ChatEvent chatEvent)
    {
        ArgumentNullException.ThrowIfNull(chatEvent);
        // The JSON `sent` and `undelivered` events are being designed with the rest of the --json contract (issue 16);
        // until then the stream stays as it was rather than show these as "unknown".
        if (chatEvent is MessageSent or MessageUndelivered)
            return;
        WriteLine(json =>
        {
            switch (chatEvent)
            {
                case Connected c:
                    json.WriteString("event", "connected");
                    json.WriteString("peer", c.Peer);
                    json.WriteString("transport", PathText.Name(c.Transport));
                    json.WriteString("path", PathText.Name(c.Path));
                    json.WriteString("encryption", c.Encryption.Id);
                    json.WriteBoolean("confidential", c.IsConfidential);
                    WriteNullable(json, "fingerprint", c.Fingerprint);
                    WriteNullable(json, "remote", c.RemoteEndPoint?.ToString());
                    json.WriteString("contact", PeerTrust.Name(c.Contact));
                    break;
                case MessageReceived m:
                    json.WriteString("event", "message");
                    json.WriteString("from", m.From);
                    json.WriteNumber("id", m.Id.Value);
                    json.WriteString("sent", m.SentAt);
                    json.WriteString("text", m.Text);
                    break;
                case Delivered d:
                    json.WriteString("event", "delivered");
                    json.WriteNumber("id", d.Id.Value);
                    break;
                case PeerFinished f:
                    json.WriteString("event", "peer_finished");
                    json.WriteString("peer", f.Peer);
                    break;
                case Disconnected d:
                    json.WriteString("event", "disconnected");
                    json.WriteString("reason", d.Reason);
                    json.WriteBoolean("clean", d.Clean);
                    break;
                case PathChanged p:
                    json.WriteString("event", "path_changed");
                    json.WriteString("path", PathText.Name(p.Path));
                    WriteNullable(json, "remote", p.Remote?.ToString());
                    json.WriteString("reason", PathText.Reason(p.Reason));
                    if (p.Details is not null)
                        json.WriteString("details", PathText.Describe(p.Details));
                    break;
                case ChatError e:
                    json.WriteString("event", "error");
                    json.WriteString("message", e.Message);
                    break;
                default:
                    // A newer event kind this writer does not know yet: say what it is rather than drop it.
                    json.WriteString("event", "unknown");
                    json.WriteString("type", chatEvent.GetType().Name);
                    break;
            }
        });
    }

    public void Status(string text) => WriteLine(json =>
    {
        json.WriteString("event", "status");
        json.WriteString("text", text);
    });

    public void Listening(string address) => WriteLine(json =>
    {
        json.WriteString("event", "listening");
        json.WriteString("address", address);
    });

    public void Error(string message) => WriteLine(json =>
    {
        json.WriteString("event", "error");
        json.WriteString("message", message);
    });

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    private void WriteLine(Action<Utf8JsonWriter> body)
    {
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer, Options))
            {
                json.WriteStartObject();
                body(json);
                json.WriteEndObject();
            }

            _output.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
            _output.Write('\n');
            _output.Flush();
        }
    }
}
