using System.Net;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Interaction;

public class JsonEventWriterTests
{
    private static SecurityModuleInfo BuiltInModuleNamed(string id) =>
        BuiltInModules.TryFind(id, out var module) ? module : throw new ArgumentException($"No built-in module '{id}'.", nameof(id));

    private static JsonElement WriteOne(Action<JsonEventWriter> write)
    {
        var output = new StringWriter();
        write(new JsonEventWriter(output));
        var text = output.ToString();
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    [Theory]
    [InlineData(ContactStatus.New, "new")]
    [InlineData(ContactStatus.Known, "known")]
    [InlineData(ContactStatus.Verified, "verified")]
    [InlineData(ContactStatus.Replaced, "replaced")]
    public void Write_ConnectedContact_NamesTheStatus(ContactStatus status, string name)
    {
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Tcp, PathKind.Direct, BuiltInModules.Noise, true, "12345", null, status)));
        Assert.Equal(name, json.GetProperty("contact").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_Connected_SaysWhetherThePeerIsPostQuantum(bool postQuantum)
    {
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Tcp, PathKind.Direct, BuiltInModules.Noise, true, "12345", null) { IsPostQuantum = postQuantum }));
        Assert.Equal(postQuantum, json.GetProperty("post_quantum").GetBoolean());
    }

    [Theory]
    [InlineData("Noise_XX_25519_AESGCM_SHA256")]
    [InlineData("Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256")]
    [InlineData(null)]
    public void Write_Connected_SaysTheProtocolTheHandshakeRan(string? cipher)
    {
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Udp, PathKind.Direct, BuiltInModules.Noise, true, "12345", null) { Cipher = cipher }));

        var written = json.GetProperty("cipher");
        if (cipher is null)
            Assert.Equal(System.Text.Json.JsonValueKind.Null, written.ValueKind);
        else
            Assert.Equal(cipher, written.GetString());
    }

    [Fact]
    public void Write_Connected_HasEveryField()
    {
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Tcp, PathKind.Direct, BuiltInModules.Noise, true, "12345 67890", IPEndPoint.Parse("127.0.0.1:5000"))));

        Assert.Equal(["event", "time", "state", "peer", "transport", "path", "encryption", "confidential", "post_quantum", "cipher", "fingerprint", "remote", "contact", "verified"], Names(json));
        Assert.Equal("connected", json.GetProperty("state").GetString());
        Assert.False(json.GetProperty("post_quantum").GetBoolean());
        Assert.Equal("unpinned", json.GetProperty("contact").GetString());
        Assert.Equal("connected", json.GetProperty("event").GetString());
        Assert.Equal("bob", json.GetProperty("peer").GetString());
        Assert.Equal("tcp", json.GetProperty("transport").GetString());
        Assert.Equal("direct", json.GetProperty("path").GetString());
        Assert.Equal("noise", json.GetProperty("encryption").GetString());
        Assert.True(json.GetProperty("confidential").GetBoolean());
        Assert.Equal("12345 67890", json.GetProperty("fingerprint").GetString());
        Assert.Equal("127.0.0.1:5000", json.GetProperty("remote").GetString());
    }

    [Theory]
    [InlineData("noise", "noise")]
    [InlineData("rsa", "rsa")]
    [InlineData("pseudo", "pseudo")]
    public void Write_ConnectedInEachMode_NamesTheModeAsOnTheCommandLine(string modeId, string name)
    {
        var mode = BuiltInModuleNamed(modeId);
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Tcp, PathKind.Direct, mode, mode != BuiltInModules.Pseudo, null, null)));

        Assert.Equal(name, json.GetProperty("encryption").GetString());
    }

    [Fact]
    public void Write_ConnectedWithoutFingerprintOrRemote_WritesNulls()
    {
        var json = WriteOne(w => w.Write(new Connected("bob", TransportKind.Udp, PathKind.Direct, BuiltInModules.Pseudo, false, null, null)));

        Assert.False(json.GetProperty("confidential").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("fingerprint").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("remote").ValueKind);
    }

    [Fact]
    public void Write_Message_HasSenderIdTimeAndText()
    {
        var sent = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var json = WriteOne(w => w.Write(new MessageReceived("bob", new PeerMessageId(3), sent, "hi")));

        Assert.Equal(["event", "time", "from", "id", "sent", "text"], Names(json));
        Assert.Equal("message", json.GetProperty("event").GetString());
        Assert.Equal("bob", json.GetProperty("from").GetString());
        Assert.Equal("in-3", json.GetProperty("id").GetString());
        Assert.Equal(sent, json.GetProperty("sent").GetDateTimeOffset());
        Assert.Equal("2025-01-02T03:04:05+00:00", json.GetProperty("sent").GetString());
        Assert.Equal("hi", json.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("say \"hi\"\nand\\bye\t")]
    [InlineData("grüße, 你好, 👋")]
    [InlineData("</script>&'")]
    [InlineData("\u0000\u001b[31m")]
    public void Write_MessageText_RoundTripsExactlyOnOneLine(string text)
    {
        var json = WriteOne(w => w.Write(new MessageReceived("bob", new PeerMessageId(1), DateTimeOffset.UnixEpoch, text)));

        Assert.Equal(text, json.GetProperty("text").GetString());
    }

    [Fact]
    public void Write_Delivered_HasTheId()
    {
        var json = WriteOne(w => w.Write(new Delivered(new LocalMessageId(ulong.MaxValue))));

        Assert.Equal(["event", "time", "id"], Names(json));
        Assert.Equal("delivered", json.GetProperty("event").GetString());
        Assert.Equal($"out-{ulong.MaxValue}", json.GetProperty("id").GetString());
    }

    [Fact]
    public void Write_PeerFinished_HasThePeer()
    {
        var json = WriteOne(w => w.Write(new PeerFinished("bob")));

        Assert.Equal(["event", "time", "peer"], Names(json));
        Assert.Equal("peer_finished", json.GetProperty("event").GetString());
        Assert.Equal("bob", json.GetProperty("peer").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_Disconnected_HasReasonAndClean(bool clean)
    {
        var json = WriteOne(w => w.Write(new Disconnected("the peer left", clean)));

        Assert.Equal(["event", "time", "reason", "clean"], Names(json));
        Assert.Equal("disconnected", json.GetProperty("event").GetString());
        Assert.Equal("the peer left", json.GetProperty("reason").GetString());
        Assert.Equal(clean, json.GetProperty("clean").GetBoolean());
    }

    [Fact]
    public void Write_PathChanged_HasPathRemoteReasonAndWhereTheSessionIsAsFields()
    {
        var relay = IPEndPoint.Parse("203.0.113.1:3478");
        var details = new PathReport(TransportKind.Udp, PathKind.Relay, relay)
        {
            MeasuresRoundTrip = true,
            RoundTrip = TimeSpan.FromMilliseconds(42),
            PeerToPeer = new PeerToPeerReport(relay, 40000, IPEndPoint.Parse("198.51.100.11:40000"), IPEndPoint.Parse("198.51.100.22:50000"),
                [IPEndPoint.Parse("10.0.0.2:50000")], DirectPathFailure.MovedToRelay(PathMoveReason.DirectSilent, TimeSpan.FromSeconds(3))),
        };
        var json = WriteOne(w => w.Write(new PathChanged(PathKind.Relay, IPEndPoint.Parse("203.0.113.1:3478"), PathMoveReason.DirectSilent, details)));

        Assert.Equal(["event", "time", "path", "remote", "reason", "rtt_ms", "relay", "relay_kind", "public_address", "peer_public_address"], Names(json));
        Assert.Equal("path_changed", json.GetProperty("event").GetString());
        Assert.Equal("relay", json.GetProperty("path").GetString());
        Assert.Equal("203.0.113.1:3478", json.GetProperty("remote").GetString());
        Assert.Equal("the direct path stopped answering for 3 s", json.GetProperty("reason").GetString());
        Assert.Equal(42, json.GetProperty("rtt_ms").GetDouble());
        Assert.Equal("203.0.113.1:3478", json.GetProperty("relay").GetString());
        Assert.Equal("signaling server", json.GetProperty("relay_kind").GetString());
        Assert.Equal("198.51.100.11:40000", json.GetProperty("public_address").GetString());
        Assert.Equal("198.51.100.22:50000", json.GetProperty("peer_public_address").GetString());
    }

    [Fact]
    public void Write_ChatError_IsAnErrorEvent()
    {
        var json = WriteOne(w => w.Write(new ChatError("a frame failed authentication")));

        Assert.Equal(["event", "time", "message"], Names(json));
        Assert.Equal("error", json.GetProperty("event").GetString());
        Assert.Equal("a frame failed authentication", json.GetProperty("message").GetString());
    }

    [Fact]
    public void Write_StatusListeningAndError_HaveTheirOwnEvents()
    {
        var status = WriteOne(w => w.Status("connecting to 127.0.0.1:5000"));
        var listening = WriteOne(w => w.Listening("127.0.0.1:40000"));
        var error = WriteOne(w => w.Error("a peer sent garbage"));

        Assert.Equal(["event", "time", "text"], Names(status));
        Assert.Equal("status", status.GetProperty("event").GetString());
        Assert.Equal("connecting to 127.0.0.1:5000", status.GetProperty("text").GetString());
        Assert.Equal(["event", "time", "state", "address"], Names(listening));
        Assert.Equal("listening", listening.GetProperty("event").GetString());
        Assert.Equal("127.0.0.1:40000", listening.GetProperty("address").GetString());
        Assert.Equal("error", error.GetProperty("event").GetString());
        Assert.Equal("a peer sent garbage", error.GetProperty("message").GetString());
    }

    [Fact]
    public void Write_SentAndUndelivered_ReferToTheOutgoingId()
    {
        var sent = WriteOne(w => w.Write(new MessageSent(new LocalMessageId(3), "hi")));
        var undelivered = WriteOne(w => w.Write(new MessageUndelivered(new LocalMessageId(3), "the peer left")));

        Assert.Equal(["event", "time", "id", "text"], Names(sent));
        Assert.Equal("sent", sent.GetProperty("event").GetString());
        Assert.Equal("out-3", sent.GetProperty("id").GetString());
        Assert.Equal("hi", sent.GetProperty("text").GetString());
        Assert.Equal(["event", "time", "id", "reason"], Names(undelivered));
        Assert.Equal("undelivered", undelivered.GetProperty("event").GetString());
        Assert.Equal("out-3", undelivered.GetProperty("id").GetString());
        Assert.Equal("the peer left", undelivered.GetProperty("reason").GetString());
    }

    [Fact]
    public void Write_EveryLine_CarriesTheTimeInUtc()
    {
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 1, 500, TimeSpan.FromHours(2));
        var clock = new FixedClock(at);
        var output = new StringWriter();
        var writer = new JsonEventWriter(output, clock);

        writer.Write(new Delivered(new LocalMessageId(1)) { At = at });
        writer.Status("waiting");
        writer.State("connecting");
        writer.Error("oops");

        var times = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("time").GetString()).ToList();
        Assert.Equal(Enumerable.Repeat("2026-11-30T10:00:01.5+00:00", 4), times);
    }

    [Fact]
    public void Write_State_IsAStateEvent()
    {
        var json = WriteOne(w => w.State("handshaking"));

        Assert.Equal(["event", "time", "state"], Names(json));
        Assert.Equal("state", json.GetProperty("event").GetString());
        Assert.Equal("handshaking", json.GetProperty("state").GetString());
    }

    [Fact]
    public void KeyChanged_HasBothSafetyNumbersAndIsNotAnError()
    {
        var changed = new PeerKeyChangedException("REFUSED: 'bob' presented a different identity key", "bob", [1, 2, 3], "/tmp/known_peers.json")
        {
            PinnedSafetyNumber = "11111 22222",
            PresentedSafetyNumber = "33333 44444",
        };
        var json = WriteOne(w => w.KeyChanged(changed));

        Assert.Equal(["event", "time", "peer", "pinned_safety_number", "new_safety_number", "known_peers", "message"], Names(json));
        Assert.Equal("key_changed", json.GetProperty("event").GetString());
        Assert.Equal("11111 22222", json.GetProperty("pinned_safety_number").GetString());
        Assert.Equal("33333 44444", json.GetProperty("new_safety_number").GetString());
    }

    [Fact]
    public async Task Write_FromManyThreads_KeepsEveryLineWhole()
    {
        var output = new StringWriter();
        var writer = new JsonEventWriter(output);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++) writer.Write(new MessageReceived($"peer{t}", new PeerMessageId((ulong)i), DateTimeOffset.UnixEpoch, new string('x', i)));
        })));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1600, lines.Length);
        foreach (var line in lines) JsonDocument.Parse(line).Dispose();
    }

    private sealed class FixedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at.ToUniversalTime();
    }
}
