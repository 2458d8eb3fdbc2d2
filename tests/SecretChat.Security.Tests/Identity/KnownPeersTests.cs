using SecretChat.Security.Identity;

namespace SecretChat.Security.Tests.Identity;

public sealed class KnownPeersTests
{
    private static readonly byte[] BobKey = Enumerable.Repeat((byte)0xB0, 32).ToArray();
    private static readonly byte[] OtherKey = Enumerable.Repeat((byte)0x0E, 32).ToArray();

    [Fact]
    public void Pin_ThenReload_KeyMatchesAndFileIsOwnerOnly()
    {
        using var temp = new TempDirectory();
        var path = temp.File("sub", "known_peers.json");
        var peers = KnownPeers.Load(path);
        Assert.Equal(PeerVerdict.New, peers.Check("bob", BobKey).Verdict);

        peers.Pin("bob", BobKey);
        peers.Pin("bob", BobKey); // idempotent

        var reloaded = KnownPeers.Load(path);
        var check = reloaded.Check("bob", BobKey);
        Assert.Equal(PeerVerdict.Match, check.Verdict);
        Assert.False(check.IsVerified);
        Assert.Equal(BobKey, check.PinnedKey.ToArray());
        Assert.Equal(["bob"], reloaded.Names);
        Assert.Contains(Convert.ToBase64String(BobKey), File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Check_DifferentKey_IsChangedWithPreviousKey_AndPinRefuses()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("bob", BobKey);
        peers.MarkVerified("bob");

        var check = peers.Check("bob", OtherKey);
        Assert.Equal(PeerVerdict.Changed, check.Verdict);
        Assert.Equal(BobKey, check.PinnedKey.ToArray());
        Assert.True(check.IsVerified);
        Assert.Throws<InvalidOperationException>(() => peers.Pin("bob", OtherKey));
        Assert.Equal(PeerVerdict.Match, peers.Check("bob", BobKey).Verdict);
    }

    [Fact]
    public void Replace_VerifiedPeer_AcceptsNewKeyAndResetsVerified()
    {
        using var temp = new TempDirectory();
        var path = temp.File("known_peers.json");
        var peers = KnownPeers.Load(path);
        peers.Pin("bob", BobKey);
        peers.MarkVerified("bob");
        Assert.True(KnownPeers.Load(path).Check("bob", BobKey).IsVerified);

        peers.Replace("bob", OtherKey);
        var check = KnownPeers.Load(path).Check("bob", OtherKey);
        Assert.Equal(PeerVerdict.Match, check.Verdict);
        Assert.False(check.IsVerified);
    }

    [Fact]
    public void MarkVerified_UnknownPeer_Throws()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        Assert.Throws<InvalidOperationException>(() => peers.MarkVerified("nobody"));
        Assert.False(File.Exists(peers.FilePath));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"version\":2,\"peers\":{}}")]
    [InlineData("{\"version\":1}")]
    [InlineData("{\"version\":1,\"peers\":{\"bob\":{\"key\":\"***\"}}}")]
    [InlineData("{\"version\":1,\"peers\":{\"bob\":{\"key\":\"AAAA\",\"verified\":\"yes\"}}}")]
    [InlineData("{\"version\":1,\"peers\":{\"bob\":42}}")]
    [InlineData("{\"version\":1.5,\"peers\":{}}")]
    public void Load_MalformedFile_ThrowsNamingTheFile(string content)
    {
        using var temp = new TempDirectory();
        var path = temp.File("known_peers.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<IdentityException>(() => KnownPeers.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith($"The known-peers file {path} ", e.Message);
    }

    [Fact]
    public void Arguments_AreChecked()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        Assert.Equal("peerName", Assert.Throws<ArgumentException>(() => peers.Check("", BobKey)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => peers.Pin("bob", [])).ParamName);
    }
}
