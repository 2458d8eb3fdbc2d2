using System.Text.Json;

namespace SecretChat.Web.Tests;

/// <summary>
/// The page's events are serialized by a source-generated context (for Native AOT). The page reads the same bytes
/// it read when each event was an anonymous object serialized by reflection: these compare the two, field by field
/// and byte by byte, for every event type.
/// </summary>
public sealed class PageJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset When = new(2026, 12, 1, 9, 30, 15, 123, TimeSpan.Zero);

    private static void AssertSameBytes<T>(T generated, object anonymous) where T : class =>
        Assert.Equal(JsonSerializer.Serialize(anonymous, anonymous.GetType(), Reflection), JsonSerializer.Serialize(generated, PageJson.Of<T>()));

    [Fact]
    public void PageJson_EveryEvent_SameBytesAsTheReflectionSerializer()
    {
        AssertSameBytes(new PageEvent.Hello("alice", ["noise", "rsa"]), new { type = "hello", name = "alice", encryptions = new[] { "noise", "rsa" } });
        AssertSameBytes(new PageEvent.PageError("no \"such\" <thing>"), new { type = "error", text = "no \"such\" <thing>" });
        AssertSameBytes(new PageEvent.Opened(3, "room blue"), new { type = "conversation", conv = 3, title = "room blue" });
        AssertSameBytes(new PageEvent.Said("notice", 3, "é ✓ \u0007"), new { type = "notice", conv = 3, text = "é ✓ \u0007" });
        AssertSameBytes(new PageEvent.Listening(3, "127.0.0.1:5000"), new { type = "listening", conv = 3, address = "127.0.0.1:5000" });
        AssertSameBytes(new PageEvent.KeyChanged(3, "bob", "changed"), new { type = "keychanged", conv = 3, peer = "bob", text = "changed" });
        AssertSameBytes(
            new PageEvent.Connected(3, "bob", "udp", "direct", "noise", "Noise XX", true, true, "1234 5678", null, "[::1]:5000", 0.4, When),
            new
            {
                type = "connected",
                conv = 3,
                peer = "bob",
                transport = "udp",
                path = "direct",
                encryption = "noise",
                security = "Noise XX",
                confidential = true,
                authenticated = true,
                safetyNumber = "1234 5678",
                status = (string?)null,
                remote = "[::1]:5000",
                roundTripMs = (double?)0.4,
                at = When,
            });
        AssertSameBytes(
            new PageEvent.Message(3, ulong.MaxValue, "bob", When, When.AddSeconds(1), "hi"),
            new { type = "message", conv = 3, id = ulong.MaxValue, from = "bob", sentAt = When, at = When.AddSeconds(1), text = "hi" });
        AssertSameBytes(new PageEvent.Sent(3, 7, "hello", When), new { type = "sent", conv = 3, id = 7UL, text = "hello", at = When });
        AssertSameBytes(new PageEvent.Delivered(3, 7), new { type = "delivered", conv = 3, id = 7UL });
        AssertSameBytes(
            new PageEvent.PathReport(3, "relay", null, null, null),
            new { type = "path", conv = 3, path = "relay", reason = (string?)null, remote = (string?)null, roundTripMs = (double?)null });
        AssertSameBytes(new PageEvent.Disconnected(3, "bye", false), new { type = "disconnected", conv = 3, text = "bye", clean = false });
        AssertSameBytes(new PageEvent.Verified(3, "bob"), new { type = "verified", conv = 3, peer = "bob" });
        AssertSameBytes(new PageEvent.Closed(3), new { type = "closed", conv = 3 });
    }

    [Theory]
    [InlineData("""{"type":"send","conv":4,"text":"hi"}""", "send", 4, "hi")]
    [InlineData("""{"TYPE":"send","Conv":"4","Text":"hi"}""", "send", 4, "hi")]
    [InlineData("""{"type":"close","conv":4,"extra":[1,2]}""", "close", 4, null)]
    public void PageJson_Command_ReadAsTheReflectionSerializerReadIt(string json, string type, int conv, string? text)
    {
        var generated = JsonSerializer.Deserialize(json, PageJson.Of<PageCommand>());
        Assert.Equal(JsonSerializer.Deserialize<PageCommand>(json, Reflection), generated);
        Assert.Equal(new PageCommand(type, conv, null, null, null, null, null, text), generated);
    }

    [Fact]
    public void PageJson_TypeNotListed_Throws() =>
        Assert.Throws<InvalidOperationException>(() => PageJson.Of<Uri>());
}
