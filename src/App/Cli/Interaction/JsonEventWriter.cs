using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Cli.Interaction;

/// <summary>
/// One JSON object per line per event (the <c>--json</c> contract, a table in README.md: keep field names stable),
/// flushed per line so a script reading the pipe sees each event as it happens. Every line has <c>event</c> first and
/// <c>time</c> second; a change of state has a <c>state</c> field; ids are strings that name their direction
/// (<c>out-3</c> for this side's messages, <c>in-3</c> for the peer's), so the two can never be confused.
/// </summary>
internal sealed class JsonEventWriter : IEventWriter
{
    // Non-ASCII text stays readable; quotes, backslashes and control characters are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _output;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public JsonEventWriter(TextWriter output, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The id of a message this side sent, as every event that refers to it writes it.</summary>
    public static string Id(LocalMessageId id) => $"out-{id}";

    /// <summary>The id of a message the peer sent.</summary>
    public static string Id(PeerMessageId id) => $"in-{id}";

    public void Write(ChatEvent chatEvent)
    {
        ArgumentNullException.ThrowIfNull(chatEvent);
        var name = chatEvent switch
        {
            Connected => "connected",
            MessageReceived => "message",
            MessageSent => "sent",
            Delivered => "delivered",
            MessageUndelivered => "undelivered",
            PeerFinished => "peer_finished",
            Disconnected => "disconnected",
            PathChanged => "path_changed",
            ChatError => "error",
            _ => "unknown", // a newer event kind this writer does not know yet: say what it is rather than drop it
        };
        WriteLine(name, chatEvent.At, json =>
        {
            switch (chatEvent)
            {
                case Connected c:
                    json.WriteString("state", SessionStates.Connected);
                    json.WriteString("peer", c.Peer);
                    json.WriteString("transport", PathText.Name(c.Transport));
                    json.WriteString("path", PathText.Name(c.Path));
                    json.WriteString("encryption", c.Encryption.Id);
                    json.WriteBoolean("confidential", c.IsConfidential);
                    json.WriteBoolean("post_quantum", c.IsPostQuantum);
                    WriteNullable(json, "cipher", c.Cipher);
                    WriteNullable(json, "fingerprint", c.Fingerprint);
                    WriteNullable(json, "remote", c.RemoteEndPoint?.ToString());
                    json.WriteString("contact", PeerTrust.Name(c.Contact));
                    WriteNullable(json, "verified", PeerTrust.Verification(c.Contact));
                    break;
                case MessageReceived m:
                    json.WriteString("from", m.From);
                    json.WriteString("id", Id(m.Id));
                    json.WriteString("sent", m.SentAt);
                    json.WriteString("text", m.Text);
                    break;
                case MessageSent s:
                    json.WriteString("id", Id(s.Id));
                    json.WriteString("text", s.Text);
                    break;
                case Delivered d:
                    json.WriteString("id", Id(d.Id));
                    break;
                case MessageUndelivered u:
                    json.WriteString("id", Id(u.Id));
                    json.WriteString("reason", u.Reason);
                    break;
                case PeerFinished f:
                    json.WriteString("peer", f.Peer);
                    break;
                case Disconnected d:
                    json.WriteString("reason", d.Reason);
                    json.WriteBoolean("clean", d.Clean);
                    break;
                case PathChanged p:
                    json.WriteString("path", PathText.Name(p.Path));
                    WriteNullable(json, "remote", p.Remote?.ToString());
                    json.WriteString("reason", PathText.Reason(p.Reason));
                    WritePath(json, p.Details);
                    break;
                case ChatError e:
                    json.WriteString("message", e.Message);
                    break;
                default:
                    json.WriteString("type", chatEvent.GetType().Name);
                    break;
            }
        });
    }

    public void Status(string text) => WriteLine("status", Now, json => json.WriteString("text", text));

    public void Listening(string address) => WriteLine("listening", Now, json =>
    {
        json.WriteString("state", SessionStates.Listening);
        json.WriteString("address", address);
    });

    public void Code(string code, string instruction) => WriteLine("code", Now, json =>
    {
        json.WriteString("code", code);
        json.WriteString("instruction", instruction);
    });

    public void State(string state) => WriteLine("state", Now, json => json.WriteString("state", state));

    public void KeyChanged(PeerKeyChangedException changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        WriteLine("key_changed", Now, json =>
        {
            json.WriteString("peer", changed.PeerName);
            WriteNullable(json, "pinned_safety_number", changed.PinnedSafetyNumber);
            WriteNullable(json, "new_safety_number", changed.PresentedSafetyNumber);
            json.WriteString("known_peers", changed.KnownPeersPath);
            json.WriteString("message", changed.Message);
        });
    }

    public void Error(string message) => WriteLine("error", Now, json => json.WriteString("message", message));

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Where the session is after a move, as fields (what <c>/path</c> shows in words); null where not known.</summary>
    private static void WritePath(Utf8JsonWriter json, PathReport? report)
    {
        if (report?.RoundTrip is { } rtt)
            json.WriteNumber("rtt_ms", Math.Round(rtt.TotalMilliseconds, 1));
        else
            json.WriteNull("rtt_ms");
        var p2p = report?.PeerToPeer;
        WriteNullable(json, "relay", p2p?.Relay.ToString());
        WriteNullable(json, "relay_kind", PathText.RelayKind(report));
        WriteNullable(json, "public_address", p2p?.ReflexiveAddress?.ToString());
        WriteNullable(json, "peer_public_address", p2p?.PeerReflexiveAddress?.ToString());
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    private void WriteLine(string name, DateTimeOffset time, Action<Utf8JsonWriter> body)
    {
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer, Options))
            {
                json.WriteStartObject();
                json.WriteString("event", name);
                json.WriteString("time", time.ToUniversalTime());
                body(json);
                json.WriteEndObject();
            }

            _output.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
            _output.Write('\n');
            _output.Flush();
        }
    }
}
