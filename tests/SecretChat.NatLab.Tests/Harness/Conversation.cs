using System.Text.Json;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>What a peer's <c>connected</c> event said, and how long after its start it came.</summary>
public sealed record PeerConnection(string Who, string Peer, string Transport, string Path, string Remote, TimeSpan TimeToConnect)
{
    public override string ToString() =>
        $"{Who} connected to {Peer} over {Transport}, path {Path}, remote {Remote}, {TimeToConnect.TotalMilliseconds:0} ms after starting";
}

/// <summary>The steps of a scripted chat between two running <c>secretchat</c> peers, each awaited with a timeout.</summary>
public static class Conversation
{
    public static readonly TimeSpan ConnectTimeout = Timeouts.Process;
    public static readonly TimeSpan DeliveryTimeout = Timeouts.Process;

    /// <summary>Numbered lines, so order and completeness are easy to check: "alice 1", "alice 2", ...</summary>
    public static IReadOnlyList<string> Lines(string who, int count, int from = 1) =>
        [.. Enumerable.Range(from, count).Select(i => $"{who} {i}")];

    /// <summary>Awaits the peer's <c>connected</c> event and reports it (and the time it took) to the test output.</summary>
    public static async Task<PeerConnection> ConnectedAsync(SecretChatProcess peer, ITestOutputHelper output, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var connected = await peer.WaitForEventAsync(timeout ?? ConnectTimeout, "connected");
        var result = new PeerConnection(
            peer.Name,
            Text(connected, "peer"),
            Text(connected, "transport"),
            Text(connected, "path"),
            Text(connected, "remote"),
            peer.Elapsed);
        output?.WriteLine(result.ToString());
        return result;
    }

    /// <summary>
    /// Awaits the peer's session on the direct path: its <c>connected</c> event, and when that says relay (a direct
    /// handshake slower than the relay fallback, as on a loaded machine), the <c>path_changed</c> to direct after it.
    /// For tests whose premise is a direct session that needs the relay available later.
    /// </summary>
    public static async Task<PeerConnection> DirectAsync(SecretChatProcess peer, ITestOutputHelper output)
    {
        var connection = await ConnectedAsync(peer, output);
        if (connection.Path == "direct")
            return connection;
        var moved = await peer.WaitForEventAsync(ConnectTimeout, "path_changed");
        output?.WriteLine($"{peer.Name} started on the relay, then: {moved.GetRawText()}");
        Assert.True(Text(moved, "path") == "direct", $"{peer.Name} moved to {Text(moved, "path")}, not direct.\n{peer.Transcript()}");
        return connection with { Path = "direct", Remote = Text(moved, "remote") };
    }

    /// <summary>Ends both peers' input and awaits their exits; each must exit 0 (after everything was acknowledged).</summary>
    public static async Task FinishAsync(ITestOutputHelper output, params SecretChatProcess[] peers)
    {
        foreach (var peer in peers)
            peer.CloseInput();
        var exits = await Task.WhenAll(peers.Select(p => p.WaitForExitAsync(DeliveryTimeout)));
        for (var i = 0; i < peers.Length; i++)
        {
            var disconnected = peers[i].Events.LastOrDefault(e => SecretChatProcess.Kind(e) == "disconnected");
            output?.WriteLine($"{peers[i].Name} exited {exits[i]}" +
                (disconnected.ValueKind == JsonValueKind.Object ? $": {disconnected.GetRawText()}" : ""));
        }
        for (var i = 0; i < peers.Length; i++)
            Assert.True(exits[i] == 0, $"{peers[i].Name} exited {exits[i]}.\n{peers[i].Transcript()}");
    }

    /// <summary>Every line arrived, once, in the order it was sent.</summary>
    public static void AssertReceivedInOrder(SecretChatProcess receiver, IReadOnlyList<string> sent, ITestOutputHelper? output = null)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        var received = receiver.ReceivedTexts;
        output?.WriteLine($"{receiver.Name} received {received.Count} of {sent.Count} messages");
        Assert.True(sent.SequenceEqual(received), $"{receiver.Name} received [{string.Join(" | ", received)}], expected [{string.Join(" | ", sent)}].\n{receiver.Transcript()}");
    }

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
