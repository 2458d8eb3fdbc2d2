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
    [InlineData("{\"version\":3,\"contacts\":[]}")]
    [InlineData("{\"version\":2,\"contacts\":[{\"key\":\"AAAA\"}]}")]
    [InlineData("{\"version\":2,\"contacts\":[{\"key\":\"AAAA\",\"name\":\"bob\u200B\"}]}")]
    [InlineData("{\"version\":2,\"contacts\":[{\"key\":\"AAAA\",\"name\":\"bob\"},{\"key\":\"AAAA\",\"name\":\"carol\"}]}")]
    [InlineData("{\"version\":2,\"contacts\":[{\"key\":\"AAAA\",\"name\":\"bob\",\"added\":\"yesterday\"}]}")]
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

    [Fact]
    public void Check_PinnedKeyUnderAnotherName_IsMatchWithThePinnedName()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("bob", BobKey);

        var check = peers.Check("robert", BobKey);
        Assert.Equal(PeerVerdict.Match, check.Verdict);
        Assert.Equal("bob", check.Contact!.Name.Value);
    }

    [Theory]
    [InlineData("Alice")]
    [InlineData("\u0430lice")] // Cyrillic а
    [InlineData("a1ice")]
    [InlineData("ALICE")]
    public void Check_NewKeyUnderLookAlikeName_IsLookAlikeNamingTheContact_AndPinRefuses(string impostor)
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("alice", BobKey);

        var check = peers.Check(impostor, OtherKey);
        Assert.Equal(PeerVerdict.LookAlike, check.Verdict);
        Assert.Equal("alice", check.Contact!.Name.Value);
        Assert.Equal(BobKey, check.PinnedKey.ToArray());
        Assert.Throws<InvalidOperationException>(() => peers.Pin(impostor, OtherKey));
        Assert.Equal(["alice"], KnownPeers.Load(peers.FilePath).Names);
    }

    [Fact]
    public void Check_NewKeyUnderDistinctName_IsNew()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("alice", BobKey);
        Assert.Equal(PeerVerdict.New, peers.Check("carol", OtherKey).Verdict);
        Assert.Null(peers.Check("carol", OtherKey).Contact);
    }

    [Fact]
    public void Replace_LookAlike_GivesTheContactTheNewKeyUnderItsPinnedName()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("alice", BobKey);
        peers.MarkVerified(BobKey);

        peers.Replace("\u0430lice", OtherKey);
        var reloaded = KnownPeers.Load(peers.FilePath);
        var contact = Assert.Single(reloaded.Contacts);
        Assert.Equal("alice", contact.Name.Value);
        Assert.Equal(OtherKey, contact.Key.ToArray());
        Assert.False(contact.IsVerified);
        Assert.Equal(PeerVerdict.New, reloaded.Check("carol", BobKey).Verdict);
    }

    [Fact]
    public void MarkVerified_ByKey_MarksThatContactOnly()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("alice", BobKey);
        peers.Pin("carol", OtherKey);
        peers.MarkVerified(OtherKey);

        var reloaded = KnownPeers.Load(peers.FilePath);
        Assert.False(reloaded.Check("alice", BobKey).IsVerified);
        Assert.True(reloaded.Check("carol", OtherKey).IsVerified);
        Assert.Throws<InvalidOperationException>(() => peers.MarkVerified(new byte[32]));
    }

    [Fact]
    public void Load_Version1_IsReadAndRewrittenAsVersion2OnTheNextChange()
    {
        using var temp = new TempDirectory();
        var path = temp.File("known_peers.json");
        File.WriteAllText(path,
            $"{{\"version\":1,\"peers\":{{\"bob\":{{\"key\":\"{Convert.ToBase64String(BobKey)}\",\"verified\":true}}}}}}");

        var peers = KnownPeers.Load(path);
        var bob = peers.Check("bob", BobKey);
        Assert.Equal(PeerVerdict.Match, bob.Verdict);
        Assert.True(bob.IsVerified);
        Assert.Contains("\"version\":1", File.ReadAllText(path)); // reading changes nothing

        peers.Pin("carol", OtherKey);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(2, document.RootElement.GetProperty("version").GetInt32());
        var contacts = document.RootElement.GetProperty("contacts").EnumerateArray().ToList();
        Assert.Equal(["bob", "carol"], contacts.Select(c => c.GetProperty("name").GetString()));
        Assert.True(contacts[0].GetProperty("verified").GetBoolean());
        Assert.Equal(Convert.ToBase64String(BobKey), contacts[0].GetProperty("key").GetString());
        Assert.True(DateTimeOffset.TryParse(contacts[1].GetProperty("added").GetString(), out _));
        Assert.Equal(PeerVerdict.Match, KnownPeers.Load(path).Check("bob", BobKey).Verdict);
    }

    [Fact]
    public void Pin_TwoStoresOnOneFile_InterleavedChanges_NothingLost()
    {
        using var temp = new TempDirectory();
        var path = temp.File("known_peers.json");
        var listener = KnownPeers.Load(path);
        var console = KnownPeers.Load(path);
        var keys = Enumerable.Range(1, 40).Select(i => Enumerable.Repeat((byte)i, 32).ToArray()).ToArray();

        // The listener's copy is stale after each of the console's changes, and the other way round.
        for (var i = 0; i < keys.Length; i += 2)
        {
            listener.Pin($"peer{i}", keys[i]);
            console.Pin($"peer{i + 1}", keys[i + 1]);
            console.MarkVerified(keys[i]);
        }
        // And at once, from two threads.
        var more = Enumerable.Range(100, 40).Select(i => Enumerable.Repeat((byte)i, 32).ToArray()).ToArray();
        Parallel.For(0, more.Length, i => (i % 2 == 0 ? listener : console).Pin($"other{i}", more[i]));

        var reloaded = KnownPeers.Load(path);
        Assert.Equal(80, reloaded.Contacts.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            var check = reloaded.Check($"peer{i}", keys[i]);
            Assert.Equal(PeerVerdict.Match, check.Verdict);
            Assert.Equal(i % 2 == 0, check.IsVerified);
        }
        // A stale store sees the other's changes when it checks.
        Assert.True(listener.Check("peer0", keys[0]).IsVerified);
        Assert.Empty(Directory.GetFiles(temp.File(), "*.tmp"));
    }

    [Fact]
    public void Pin_LockHeldElsewhere_WaitsThenFailsNamingTheFile()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        using (new FileStream(peers.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = Assert.Throws<IdentityException>(() => peers.Pin("bob", BobKey));
            Assert.StartsWith($"The known-peers file {peers.FilePath} cannot be changed because its lock", e.Message);
        }
        peers.Pin("bob", BobKey);
        Assert.Equal(PeerVerdict.Match, KnownPeers.Load(peers.FilePath).Check("bob", BobKey).Verdict);
    }

    [Fact]
    public void Load_PathIsAFolder_ThrowsOneSentenceNamingIt()
    {
        using var temp = new TempDirectory();
        var folder = temp.File("pins");
        Directory.CreateDirectory(folder);
        var e = Assert.Throws<IdentityException>(() => KnownPeers.Load(folder));
        Assert.Equal($"The known-peers file {folder} is a folder, not a file; point --known-peers at a file path.", e.Message);
    }

    [Fact]
    public void Pin_FolderIsAFile_ThrowsIdentityExceptionNamingItAndTheFix()
    {
        // A file where the folder should be stops root too, unlike a folder's mode.
        using var temp = new TempDirectory();
        var notAFolder = temp.WriteFile("notes.txt", "hello");
        var peers = KnownPeers.Load(Path.Combine(notAFolder, "known_peers.json"));
        var e = Assert.Throws<IdentityException>(() => peers.Pin("bob", BobKey));
        Assert.StartsWith($"The folder {notAFolder} of the known-peers file cannot be created", e.Message);
        Assert.EndsWith("or point --known-peers at a file in a folder you own.", e.Message);
    }
}
