using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecretChat.App.Tests.EndToEnd;

/// <summary>
/// The <c>--json</c> contract, checked on a real session: every line either side prints is validated against the one
/// schema table, the README's (so the documentation cannot drift from what the program prints).
/// </summary>
public partial class JsonEventsEndToEndTests
{
    /// <summary>Fields that may be null (unknown), and those that are not strings.</summary>
    private static readonly HashSet<string> Nullable = ["fingerprint", "remote", "rtt_ms", "relay", "public_address", "peer_public_address", "pinned_safety_number", "new_safety_number", "verified"];
    private static readonly HashSet<string> Booleans = ["clean", "confidential", "post_quantum"];
    private static readonly HashSet<string> Numbers = ["rtt_ms"];

    [Theory]
    [InlineData("tcp", new[] { "listening", "connected", "closing" })]
    // A listener runs handshakes side by side over both transports: its states are those of the session it hands out.
    [InlineData("udp", new[] { "listening", "connected", "closing" })]
    public async Task ListenAndConnect_Json_EveryLineMatchesTheReadmeTable(string transport, string[] listenerStates)
    {
        var schema = ReadmeSchema();
        using var home = new TempDirectory();
        await using var bob = SecretChatProcess.Start(
            ["listen", $"--{transport}", "127.0.0.1:0", "--name", "bob", "--json", .. home.IdentityArgs("bob")], null, "bob");
        var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
        await using var alice = SecretChatProcess.Start(
            ["connect", $"--{transport}", address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null, "alice");
        await alice.WaitForEventAsync("connected");
        await bob.WaitForEventAsync("connected");

        await alice.WriteLinesAsync("one", "two", "three");
        await bob.WriteLinesAsync("back");
        alice.CloseInput();
        bob.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync());
        Assert.Equal(0, await bob.WaitForExitAsync());

        foreach (var (side, states, sent, received) in new[]
        {
            (alice, new[] { "connecting", "handshaking", "verifying", "connected", "closing" }, 3, 1),
            (bob, listenerStates, 1, 3),
        })
        {
            var lines = side.StdoutLines;
            var events = lines.Select(line => Validate(side.Name, line, schema)).ToList();

            Assert.Equal(states, events.Where(e => e.TryGetProperty("state", out _)).Select(e => e.GetProperty("state").GetString()));
            Assert.Equal("disconnected", SecretChatProcess.Kind(events[^1]));

            // Outgoing ids: each sent once, then delivered once; incoming ids are of the other direction.
            var sentIds = IdsOf(events, "sent");
            Assert.Equal(Enumerable.Range(1, sent).Select(n => $"out-{n}"), sentIds);
            var delivered = IdsOf(events, "delivered");
            Assert.Equal(sentIds.Order(), delivered.Order());
            foreach (var id in delivered)
                Assert.True(IndexOf(events, "sent", id) < IndexOf(events, "delivered", id), $"{side.Name}: {id} delivered before it was sent.");
            Assert.Empty(IdsOf(events, "undelivered"));
            Assert.Equal(Enumerable.Range(1, received).Select(n => $"in-{n}"), IdsOf(events, "message"));

            // No line twice: the same event with the same fields, whenever it was printed.
            var withoutTime = lines.Select(WithoutTime).ToList();
            Assert.Equal(withoutTime.Count, withoutTime.Distinct().Count());
        }
    }

    [Fact]
    public async Task Connect_PinnedPeerWithANewKey_WritesKeyChangedWithBothSafetyNumbersAndNoErrorEvent()
    {
        var schema = ReadmeSchema();
        using var home = new TempDirectory();
        string? pinned = null;
        foreach (var bobKey in new[] { "first.key", "second.key" })
        {
            await using var bob = SecretChatProcess.Start(
                ["listen", "--tcp", "127.0.0.1:0", "--name", "bob", "--json", "--identity", home.File(bobKey), "--known-peers", home.File("bob-peers.json")], null, "bob");
            var address = (await bob.WaitForEventAsync("listening")).GetProperty("address").GetString()!;
            await using var alice = SecretChatProcess.Start(["connect", "--tcp", address, "--name", "alice", "--json", .. home.IdentityArgs("alice")], null, "alice");
            alice.CloseInput();
            if (pinned is null)
            {
                pinned = (await alice.WaitForEventAsync("connected")).GetProperty("fingerprint").GetString();
                bob.CloseInput();
                Assert.Equal(0, await alice.WaitForExitAsync());
                continue;
            }

            Assert.Equal(1, await alice.WaitForExitAsync());
            var events = alice.StdoutLines.Select(line => Validate("alice", line, schema)).ToList();
            var changed = Assert.Single(events, e => SecretChatProcess.Kind(e) == "key_changed");
            Assert.Equal("bob", changed.GetProperty("peer").GetString());
            Assert.Equal(pinned, changed.GetProperty("pinned_safety_number").GetString());
            var presented = changed.GetProperty("new_safety_number").GetString();
            Assert.Matches("^[0-9 ]{60,}$", presented);
            Assert.NotEqual(pinned, presented);
            Assert.DoesNotContain(events, e => SecretChatProcess.Kind(e) is "error" or "connected");
        }
    }

    /// <summary>The README's table: each event's field names, in order, after <c>event</c> and <c>time</c>.</summary>
    private static Dictionary<string, string[]> ReadmeSchema()
    {
        var readme = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var header = Array.IndexOf(readme, "| event | fields | when |");
        Assert.True(header >= 0, "README.md has no '| event | fields | when |' table.");
        var schema = new Dictionary<string, string[]>();
        foreach (var row in readme.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = row.Split('|');
            var name = Code().Match(cells[1]).Groups[1].Value;
            schema[name] = Code().Matches(cells[2]).Select(m => m.Groups[1].Value).ToArray();
        }
        Assert.True(schema.Count >= 12, $"README's table has only {schema.Count} events.");
        return schema;
    }

    private static JsonElement Validate(string who, string line, Dictionary<string, string[]> schema)
    {
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"{who} printed a line that is not JSON: {line} ({e.Message})");
        }
        var kind = SecretChatProcess.Kind(json);
        Assert.True(schema.TryGetValue(kind, out var fields), $"{who}: event '{kind}' is not in README's table: {line}");
        Assert.Equal(["event", "time", .. fields], json.EnumerateObject().Select(p => p.Name));
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("time").GetString(), out var time) && time.Offset == TimeSpan.Zero, $"{who}: bad time in {line}");
        foreach (var field in fields)
        {
            var value = json.GetProperty(field);
            var expected = Booleans.Contains(field) ? [JsonValueKind.True, JsonValueKind.False]
                : Numbers.Contains(field) ? [JsonValueKind.Number]
                : new[] { JsonValueKind.String };
            Assert.True(expected.Contains(value.ValueKind) || (Nullable.Contains(field) && value.ValueKind == JsonValueKind.Null),
                $"{who}: '{field}' of '{kind}' is {value.ValueKind}: {line}");
        }
        if (json.TryGetProperty("id", out var id))
            Assert.Matches(kind == "message" ? "^in-[0-9]+$" : "^out-[0-9]+$", id.GetString());
        return json;
    }

    private static List<string> IdsOf(List<JsonElement> events, string kind) =>
        events.Where(e => SecretChatProcess.Kind(e) == kind).Select(e => e.GetProperty("id").GetString()!).ToList();

    private static int IndexOf(List<JsonElement> events, string kind, string id) =>
        events.FindIndex(e => SecretChatProcess.Kind(e) == kind && e.GetProperty("id").GetString() == id);

    private static string WithoutTime(string line) =>
        string.Join(',', JsonDocument.Parse(line).RootElement.EnumerateObject().Where(p => p.Name != "time").Select(p => p.ToString()));

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex Code();
}
