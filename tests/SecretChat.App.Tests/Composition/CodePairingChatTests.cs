using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.App.Tests.Fakes;
using SecretChat.Tests;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Pairing;

namespace SecretChat.App.Tests.Composition;

/// <summary>Pairing with a code over real noise sessions on loopback TCP: what each side ends up with.</summary>
public sealed class CodePairingChatTests
{
    [Fact]
    public async Task Pair_SameCode_BothConnectVerifiedByCodeAndPinTheKeyAsSuch()
    {
        using var home = new TempDirectory();
        var code = PairingCode.Generate();
        var connector = new ChatConnector();
        await using var listener = await connector.ListenAsync(Side(home, "bob", code));
        var accepting = listener.AcceptAsync();
        await using var alice = await connector.ConnectAsync(Side(home, "alice", code) with { EndPoint = listener.LocalEndPoint.ToString()! });
        await using var bob = await accepting.WaitAsync(TestApp.Timeout);

        var aliceSees = await ((ChatSession)alice).Connected.WaitAsync(TestApp.Timeout);
        var bobSees = await ((ChatSession)bob).Connected.WaitAsync(TestApp.Timeout);
        Assert.Equal(ContactStatus.VerifiedByCode, aliceSees.Contact);
        Assert.Equal(ContactStatus.VerifiedByCode, bobSees.Contact);
        Assert.Equal("bob", aliceSees.Peer);
        Assert.Equal("alice", bobSees.Peer);

        var received = bob.Events.OfType<MessageReceived>().FirstAsync().ToTask();
        await alice.SendAsync("hello after the code");
        Assert.Equal("hello after the code", (await received.WaitAsync(TestApp.Timeout)).Text);

        var pinned = Assert.Single(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts);
        Assert.Equal("bob", pinned.Name.Value);
        Assert.Equal(PeerVerification.Code, pinned.VerifiedBy);
        Assert.Contains("\"verified_by\": \"code\"", File.ReadAllText(home.File("alice", "known_peers.json")));
        Assert.Equal(PeerVerification.Code, Assert.Single(KnownPeers.Load(home.File("bob", "known_peers.json")).Contacts).VerifiedBy);
    }

    [Fact]
    public async Task Pair_ThenReconnectWithoutACode_ShowsVerifiedByCode()
    {
        using var home = new TempDirectory();
        var code = PairingCode.Generate();
        var connector = new ChatConnector();
        await using (var listener = await connector.ListenAsync(Side(home, "bob", code)))
        {
            var accepting = listener.AcceptAsync();
            await using var alice = await connector.ConnectAsync(Side(home, "alice", code) with { EndPoint = listener.LocalEndPoint.ToString()! });
            await using var bob = await accepting.WaitAsync(TestApp.Timeout);
        }

        await using var again = await connector.ListenAsync(Side(home, "bob", null));
        var acceptingAgain = again.AcceptAsync();
        await using var aliceAgain = await connector.ConnectAsync(Side(home, "alice", null) with { EndPoint = again.LocalEndPoint.ToString()! });
        await using var bobAgain = await acceptingAgain.WaitAsync(TestApp.Timeout);
        Assert.Equal(ContactStatus.VerifiedByCode, (await ((ChatSession)aliceAgain).Connected.WaitAsync(TestApp.Timeout)).Contact);
        Assert.Equal(ContactStatus.VerifiedByCode, (await ((ChatSession)bobAgain).Connected.WaitAsync(TestApp.Timeout)).Contact);
    }

    [Fact]
    public async Task Pair_WrongCode_BothFailWithTheSentenceAndNothingIsPinned()
    {
        using var home = new TempDirectory();
        var connector = new ChatConnector();
        await using var listener = await connector.ListenAsync(Side(home, "bob", Parse("wyoming-zulu")));
        var accepting = listener.AcceptAsync();

        var aliceFailure = await Assert.ThrowsAsync<ChatFailedException>(() =>
            connector.ConnectAsync(Side(home, "alice", Parse("wyoming-willow")) with { EndPoint = listener.LocalEndPoint.ToString()! }).WaitAsync(TestApp.Timeout));
        Assert.Equal(UserSentences.CodeDidNotMatch, aliceFailure.Message);
        var bobFailure = await Assert.ThrowsAsync<ChatFailedException>(() => accepting.WaitAsync(TestApp.Timeout));
        Assert.Equal(UserSentences.CodeDidNotMatch, bobFailure.Message);

        Assert.Empty(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts);
        Assert.Empty(KnownPeers.Load(home.File("bob", "known_peers.json")).Contacts);
    }

    [Fact]
    public async Task Pair_OnlyOneSideHasACode_BothFailAndNothingIsPinnedOnTheCodeSide()
    {
        using var home = new TempDirectory();
        var connector = new ChatConnector();
        await using var listener = await connector.ListenAsync(Side(home, "bob", null));
        var accepting = listener.AcceptAsync();

        await Assert.ThrowsAsync<ChatFailedException>(() =>
            connector.ConnectAsync(Side(home, "alice", Parse("wyoming-zulu")) with { EndPoint = listener.LocalEndPoint.ToString()! }).WaitAsync(TestApp.Timeout));
        Assert.Empty(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts);
        _ = accepting;
    }

    [Fact]
    public async Task Pair_WithRsa_IsRefusedWithTheSentence()
    {
        using var home = new TempDirectory();
        var connector = new ChatConnector();
        var code = Parse("wyoming-zulu");
        await using var listener = await connector.ListenAsync(Side(home, "bob", code) with { Encryption = BuiltInModules.Rsa });
        var accepting = listener.AcceptAsync();
        var failure = await Assert.ThrowsAsync<ChatFailedException>(() =>
            connector.ConnectAsync(Side(home, "alice", code) with { Encryption = BuiltInModules.Rsa, EndPoint = listener.LocalEndPoint.ToString()! }).WaitAsync(TestApp.Timeout));
        Assert.Equal(UserSentences.CodeNeedsNoise, failure.Message);
        _ = accepting;
    }

    /// <summary>One side of a code pairing on loopback: noise, its own identity and pins under <paramref name="home"/>.</summary>
    internal static ChatOptions Side(TempDirectory home, string who, PairingCode? code) => new()
    {
        EndPoint = "127.0.0.1:0",
        Name = who,
        Encryption = BuiltInModules.Noise,
        IdentityPath = home.File(who, "identity.key"),
        KnownPeersPath = home.File(who, "known_peers.json"),
        PairingCode = code,
    };

    private static PairingCode Parse(string text) =>
        PairingCode.TryParse(text, out var code, out var problem) ? code : throw new InvalidOperationException(problem);
}
