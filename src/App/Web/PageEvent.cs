using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SecretChat.Web;

/// <summary>
/// The events the server writes to the page, one record per <c>type</c>. Each is serialized by the source-generated
/// <see cref="PageJson"/> context (no reflection, so the program builds with Native AOT); <c>type</c> comes first and the
/// other fields in the order declared, camel-cased, as the page reads them (wwwroot/app.js).
/// </summary>
internal static class PageEvent
{
    /// <summary>The first event of every page: who this is and which encryptions the program offers.</summary>
    internal sealed record Hello(string Name, string[] Encryptions)
    {
        [JsonPropertyOrder(-1)] public string Type => "hello";
    }

    /// <summary>A command the page sent could not be carried out, outside any conversation.</summary>
    internal sealed record PageError(string Text)
    {
        [JsonPropertyOrder(-1)] public string Type => "error";
    }

    /// <summary>A conversation was opened for a start command.</summary>
    internal sealed record Opened(int Conv, string Title)
    {
        [JsonPropertyOrder(-1)] public string Type => "conversation";
    }

    /// <summary>One sentence for a conversation: <c>failed</c>, <c>progress</c>, <c>notice</c> or <c>error</c>.</summary>
    internal sealed record Said(string Type, int Conv, string Text);

    /// <summary>The conversation listens on <paramref name="Address"/>.</summary>
    internal sealed record Listening(int Conv, string? Address)
    {
        [JsonPropertyOrder(-1)] public string Type => "listening";
    }

    /// <summary>The peer presented a key other than the one pinned under its name: the session was refused.</summary>
    internal sealed record KeyChanged(int Conv, string Peer, string Text)
    {
        [JsonPropertyOrder(-1)] public string Type => "keychanged";
    }

    /// <summary>The session is up: who, over what, how secure.</summary>
    internal sealed record Connected(
        int Conv,
        string Peer,
        string Transport,
        string Path,
        string Encryption,
        string Security,
        bool Confidential,
        bool Authenticated,
        string? SafetyNumber,
        string? Status,
        string? Remote,
        double? RoundTripMs,
        DateTimeOffset At)
    {
        [JsonPropertyOrder(-1)] public string Type => "connected";
    }

    /// <summary>A message from the peer.</summary>
    internal sealed record Message(int Conv, ulong Id, string From, DateTimeOffset SentAt, DateTimeOffset At, string Text)
    {
        [JsonPropertyOrder(-1)] public string Type => "message";
    }

    /// <summary>This side's message <paramref name="Id"/> was queued for the peer.</summary>
    internal sealed record Sent(int Conv, ulong Id, string Text, DateTimeOffset At)
    {
        [JsonPropertyOrder(-1)] public string Type => "sent";
    }

    /// <summary>The peer acknowledged this side's message <paramref name="Id"/>.</summary>
    internal sealed record Delivered(int Conv, ulong Id)
    {
        [JsonPropertyOrder(-1)] public string Type => "delivered";
    }

    /// <summary>The session's path: where it moved and why (<paramref name="Reason"/> null when only reported).</summary>
    internal sealed record PathReport(int Conv, string Path, string? Reason, string? Remote, double? RoundTripMs)
    {
        [JsonPropertyOrder(-1)] public string Type => "path";
    }

    /// <summary>The session ended.</summary>
    internal sealed record Disconnected(int Conv, string Text, bool Clean)
    {
        [JsonPropertyOrder(-1)] public string Type => "disconnected";
    }

    /// <summary>The user compared the safety number: the peer's key is marked verified.</summary>
    internal sealed record Verified(int Conv, string Peer)
    {
        [JsonPropertyOrder(-1)] public string Type => "verified";
    }

    /// <summary>The conversation was closed by the user.</summary>
    internal sealed record Closed(int Conv)
    {
        [JsonPropertyOrder(-1)] public string Type => "closed";
    }
}

/// <summary>
/// The page's JSON, generated at compile time: the events above and the page's commands, with the web defaults
/// (camel case, case-insensitive reading, numbers also read from strings) that the reflection-based calls used before.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PageEvent.Hello))]
[JsonSerializable(typeof(PageEvent.PageError))]
[JsonSerializable(typeof(PageEvent.Opened))]
[JsonSerializable(typeof(PageEvent.Said))]
[JsonSerializable(typeof(PageEvent.Listening))]
[JsonSerializable(typeof(PageEvent.KeyChanged))]
[JsonSerializable(typeof(PageEvent.Connected))]
[JsonSerializable(typeof(PageEvent.Message))]
[JsonSerializable(typeof(PageEvent.Sent))]
[JsonSerializable(typeof(PageEvent.Delivered))]
[JsonSerializable(typeof(PageEvent.PathReport))]
[JsonSerializable(typeof(PageEvent.Disconnected))]
[JsonSerializable(typeof(PageEvent.Verified))]
[JsonSerializable(typeof(PageEvent.Closed))]
[JsonSerializable(typeof(PageCommand))]
internal sealed partial class PageJson : JsonSerializerContext
{
    /// <summary>The generated contract of <typeparamref name="T"/>; throws for a type not listed above.</summary>
    public static JsonTypeInfo<T> Of<T>() =>
        Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not one of the page's JSON types.");
}

/// <summary>A command from the page; every field optional, checked where it is used.</summary>
internal sealed record PageCommand(
    string? Type,
    int Conv,
    string? Mode,
    string? Transport,
    string? Address,
    string? Room,
    string? Encryption,
    string? Text);
