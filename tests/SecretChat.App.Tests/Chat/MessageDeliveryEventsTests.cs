using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Framing;

namespace SecretChat.App.Tests.Chat;

/// <summary>
/// What a session says about the messages this side sends: <see cref="MessageSent"/> first, then exactly one of
/// <see cref="Delivered"/> or <see cref="MessageUndelivered"/>, with ids of their own type.
/// </summary>
public class MessageDeliveryEventsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<(ChatSession Chat, ScriptedPeerChannel Peer, List<ChatEvent> Seen)> ConnectedAsync()
    {
        var peer = new ScriptedPeerChannel();
        var chat = ChatSession.Start(peer, new ChatSessionOptions { Name = "alice", PeerVerifier = AcceptAnyPeer.Instance });
        var seen = new List<ChatEvent>();
        chat.Events.Subscribe(e => { lock (seen) seen.Add(e); });
        peer.Establish("bob");
        await chat.Connected.WaitAsync(Timeout);
        return (chat, peer, seen);
    }

    private static List<ChatEvent> Snapshot(List<ChatEvent> seen)
    {
        lock (seen)
            return [.. seen];
    }

    [Fact]
    public async Task SendAsync_Connected_EmitsMessageSentWithItsIdAndTextBeforeDelivered()
    {
        var (chat, peer, seen) = await ConnectedAsync();
        await using var _ = chat;

        var id = await chat.SendAsync("hello bob");
        var sent = Assert.Single(Snapshot(seen).OfType<MessageSent>());
        Assert.Equal(new MessageSent(id, "hello bob") { At = sent.At }, sent);
        Assert.Empty(Snapshot(seen).OfType<Delivered>());

        peer.Receive(EnvelopeKind.Ack, id.Value);

        var events = Snapshot(seen);
        Assert.Equal(id, Assert.Single(events.OfType<Delivered>()).Id);
        Assert.True(events.IndexOf(sent) < events.FindIndex(e => e is Delivered));
    }

    [Fact]
    public async Task PeerLeaves_WithMessagesUnacknowledged_EachIsUndeliveredInOrderJustBeforeDisconnected()
    {
        var (chat, peer, seen) = await ConnectedAsync();
        await using var _ = chat;
        var first = await chat.SendAsync("one");
        var second = await chat.SendAsync("two");
        var third = await chat.SendAsync("three");
        peer.Receive(EnvelopeKind.Ack, second.Value);

        peer.EndOfStream();
        await chat.Completion.WaitAsync(Timeout);

        var events = Snapshot(seen);
        var disconnected = Assert.IsType<Disconnected>(events[^1]);
        var undelivered = events[^3..^1].Select(e => Assert.IsType<MessageUndelivered>(e)).ToList();
        Assert.Equal([(first, disconnected.Reason), (third, disconnected.Reason)], undelivered.Select(u => (u.Id, u.Reason)));
        Assert.Equal(second, Assert.Single(events.OfType<Delivered>()).Id);
    }

    [Fact]
    public async Task SendAsync_AfterTheSessionEnded_ThrowsAndEmitsNoMessageSent()
    {
        var (chat, peer, seen) = await ConnectedAsync();
        await using var _ = chat;
        peer.EndOfStream();
        await chat.Completion.WaitAsync(Timeout);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await chat.SendAsync("too late"));

        Assert.Empty(Snapshot(seen).OfType<MessageSent>());
        Assert.Empty(Snapshot(seen).OfType<MessageUndelivered>());
    }

    [Fact]
    public async Task MessageIds_OfTheTwoDirections_AreDifferentTypesThatBothCountFromOne()
    {
        var (chat, peer, seen) = await ConnectedAsync();
        await using var _ = chat;

        var mine = await chat.SendAsync("mine");
        peer.Receive(EnvelopeKind.Text, 1, "theirs");

        var theirs = Assert.Single(Snapshot(seen).OfType<MessageReceived>()).Id;
        Assert.Equal(1ul, mine.Value);
        Assert.Equal(1ul, theirs.Value);
        Assert.False(Equals(mine, theirs)); // same number, never the same id
    }

    [Fact]
    public async Task Acknowledgements_RacingTheEnd_EveryMessageSentIsExactlyOnceDeliveredOrUndeliveredAndNothingFollowsTheEnd()
    {
        for (var round = 0; round < 100; round++)
        {
            var (chat, peer, seen) = await ConnectedAsync();
            await using var _ = chat;
            var ids = new List<LocalMessageId>();
            for (var i = 0; i < 8; i++)
                ids.Add(await chat.SendAsync($"message {i}"));

            using var start = new Barrier(2);
            var acknowledging = Task.Run(() =>
            {
                start.SignalAndWait(Timeout);
                foreach (var id in ids)
                    peer.Receive(EnvelopeKind.Ack, id.Value);
            });
            var closing = Task.Run(async () =>
            {
                start.SignalAndWait(Timeout);
                await chat.CloseAsync("done");
            });
            await Task.WhenAll(acknowledging, closing).WaitAsync(Timeout);

            var events = Snapshot(seen);
            Assert.IsType<Disconnected>(events[^1]);
            var outcomes = events.Where(e => e is Delivered or MessageUndelivered)
                .Select(e => e is Delivered d ? d.Id : ((MessageUndelivered)e).Id).ToList();
            Assert.Equal(ids, outcomes.OrderBy(id => id.Value));
            Assert.Equal(ids, events.OfType<MessageSent>().Select(s => s.Id));
        }
    }
}
