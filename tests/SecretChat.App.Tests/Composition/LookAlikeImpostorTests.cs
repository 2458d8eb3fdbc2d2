using System.Threading.Channels;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.App.Tests.EndToEnd;
using SecretChat.App.Tests.Fakes;
using SecretChat.Security;
using SecretChat.Security.Identity;

namespace SecretChat.App.Tests.Composition;

/// <summary>Issue 14, attack 1: with alice pinned, a peer with another key under a look-alike name does not get in.</summary>
public class LookAlikeImpostorTests
{
    [Fact]
    public async Task Listener_ImpostorUnderLookAlikeName_RefusedNamingTheContactItImitates()
    {
        using var home = new TempDirectory();
        var bobPins = Path.Combine(home.Path, "bob", "known_peers.json");
        var connector = new ChatConnector();
        await using var bob = await connector.ListenAsync(new ChatOptions
        {
            EndPoint = "127.0.0.1:0",
            Name = "bob",
            Encryption = BuiltInModules.Noise,
            IdentityPath = Path.Combine(home.Path, "bob", "identity.key"),
            KnownPeersPath = bobPins,
        });
        var rejections = Channel.CreateUnbounded<string>();
        using var subscription = bob.Rejections.Subscribe(reason => rejections.Writer.TryWrite(reason));
        ChatOptions Peer(string name, string identity) => new()
        {
            EndPoint = bob.LocalEndPoint.ToString()!,
            Name = name,
            Encryption = BuiltInModules.Noise,
            IdentityPath = Path.Combine(home.Path, identity, "identity.key"),
            KnownPeersPath = Path.Combine(home.Path, identity, "known_peers.json"),
        };

        // The real alice meets bob once: bob pins her key as a NEW contact.
        await ChatOnceAsync(bob, connector, Peer("alice", "alice"));
        var aliceKey = IdentityStore.LoadOrCreate(Path.Combine(home.Path, "alice", "identity.key")).PublicKey.ToArray();

        // Mallory, with her own key, tries each look-alike of "alice".
        var accepting = bob.AcceptAsync();
        foreach (var impostor in new[] { "Alice", "\u0430lice", "a1ice", "ALICE" })
        {
            // Mallory's side may see bob before bob's verdict arrives; either way her session ends.
            var connecting = connector.ConnectAsync(Peer(impostor, "mallory"));
            var failure = await Record.ExceptionAsync(async () =>
            {
                await using var mallory = await connecting.WaitAsync(TestApp.Timeout);
                await mallory.Completion.WaitAsync(TestApp.Timeout);
            });
            Assert.IsNotType<TimeoutException>(failure);
            var reason = await rejections.Reader.ReadAsync().AsTask().WaitAsync(TestApp.Timeout);
            Assert.Contains($"REFUSED: the peer calls itself '{impostor}', which looks like your contact 'alice' (pinned key {Convert.ToHexStringLower(aliceKey.AsSpan(0, 8))}…)", reason);
            Assert.False(accepting.IsCompleted);
        }

        // Nothing was pinned for mallory; the real alice still gets in.
        var contact = Assert.Single(KnownPeers.Load(bobPins).Contacts);
        Assert.Equal("alice", contact.Name.Value);
        Assert.Equal(aliceKey, contact.Key.ToArray());
        await using var alice = await connector.ConnectAsync(Peer("alice", "alice")).WaitAsync(TestApp.Timeout);
        await using var atBob = await accepting.WaitAsync(TestApp.Timeout);
    }

    [Fact]
    public async Task Listener_KnownKeyUnderAnotherName_AcceptedAsTheKnownContact()
    {
        using var home = new TempDirectory();
        var bobPins = Path.Combine(home.Path, "bob", "known_peers.json");
        var connector = new ChatConnector();
        await using var bob = await connector.ListenAsync(new ChatOptions
        {
            EndPoint = "127.0.0.1:0",
            Name = "bob",
            Encryption = BuiltInModules.Noise,
            IdentityPath = Path.Combine(home.Path, "bob", "identity.key"),
            KnownPeersPath = bobPins,
        });
        ChatOptions Alice(string name) => new()
        {
            EndPoint = bob.LocalEndPoint.ToString()!,
            Name = name,
            Encryption = BuiltInModules.Noise,
            IdentityPath = Path.Combine(home.Path, "alice", "identity.key"),
            KnownPeersPath = Path.Combine(home.Path, "alice", "known_peers.json"),
        };

        await ChatOnceAsync(bob, connector, Alice("alice"));
        await ChatOnceAsync(bob, connector, Alice("queen-of-hearts"));

        // One contact, still under the name bob knows her by.
        var contact = Assert.Single(KnownPeers.Load(bobPins).Contacts);
        Assert.Equal("alice", contact.Name.Value);
    }

    private static async Task ChatOnceAsync(IChatListener listener, ChatConnector connector, ChatOptions peer)
    {
        var accepting = listener.AcceptAsync();
        await using var chat = await connector.ConnectAsync(peer).WaitAsync(TestApp.Timeout);
        await using var atListener = await accepting.WaitAsync(TestApp.Timeout);
    }
}
