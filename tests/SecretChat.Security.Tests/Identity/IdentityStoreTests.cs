using SecretChat.Security.Identity;

namespace SecretChat.Security.Tests.Identity;

public sealed class IdentityStoreTests
{
    [Fact]
    public void LoadOrCreate_NewFile_CreatedOwnerOnlyAndReloadedIdentically()
    {
        using var temp = new TempDirectory();
        var path = temp.File("nested", "secretchat", "identity.key");

        using var created = IdentityStore.LoadOrCreate(path);
        using var reloaded = IdentityStore.LoadOrCreate(path);

        Assert.Equal(created.PublicKey.ToArray(), reloaded.PublicKey.ToArray());
        Assert.Equal(32, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void LoadOrCreate_TwoFiles_DifferentIdentities()
    {
        using var temp = new TempDirectory();
        using var a = IdentityStore.LoadOrCreate(temp.File("a.key"));
        using var b = IdentityStore.LoadOrCreate(temp.File("b.key"));
        Assert.NotEqual(a.PublicKey.ToArray(), b.PublicKey.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(1000)]
    public void LoadOrCreate_WrongSizeFile_ThrowsNamingFileAndProblem(int size)
    {
        using var temp = new TempDirectory();
        var path = temp.File("identity.key");
        File.WriteAllBytes(path, new byte[size]);
        var e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(
            $"The identity file {path} is {size} bytes long, but an identity key is exactly 32 bytes; it is corrupt or not a SecretChat identity.",
            e.Message);
        Assert.Equal(size, new FileInfo(path).Length); // never overwritten
    }

    [Fact]
    public void LoadOrCreate_AllZeroFile_ThrowsCorrupt()
    {
        using var temp = new TempDirectory();
        var path = temp.File("identity.key");
        File.WriteAllBytes(path, new byte[32]);
        var e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void DefaultDirectory_FollowsXdgConfigHomeThenHome()
    {
        if (OperatingSystem.IsWindows())
            return;
        Assert.Equal("/x/cfg/secretchat", IdentityStore.DefaultDirectoryFor("/x/cfg", "/home/u"));
        Assert.Equal("/home/u/.config/secretchat", IdentityStore.DefaultDirectoryFor(null, "/home/u"));
        Assert.Equal("/home/u/.config/secretchat", IdentityStore.DefaultDirectoryFor("relative", "/home/u"));
        Assert.EndsWith(Path.Combine("secretchat", "identity.key"), IdentityStore.DefaultPath);
        Assert.Equal(Path.Combine(IdentityStore.DefaultDirectory, "known_peers.json"), KnownPeers.DefaultPath);
    }

    [Fact]
    public void StaticKeyPair_ToString_ShowsOnlyThePublicKey()
    {
        var privateKey = Enumerable.Range(0, 32).Select(i => (byte)(i + 100)).ToArray();
        using var pair = StaticKeyPair.FromPrivateKey(privateKey);
        var text = pair.ToString();
        Assert.Contains(Convert.ToHexStringLower(pair.PublicKey.Span), text);
        Assert.DoesNotContain(Convert.ToHexStringLower(privateKey), text);
        Assert.DoesNotContain(Convert.ToBase64String(privateKey), text);
    }

    [Fact]
    public void StaticKeyPair_Dispose_WipesPrivateKey()
    {
        var pair = StaticKeyPair.Generate();
        Assert.Equal(32, pair.PublicKey.Length);
        pair.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pair.PrivateKey.Length);
    }

    [Fact]
    public void StaticKeyPair_FromPrivateKey_RederivesThePublicKey()
    {
        using var original = StaticKeyPair.Generate();
        using var copy = StaticKeyPair.FromPrivateKey(original.PrivateKey);
        Assert.Equal(original.PublicKey.ToArray(), copy.PublicKey.ToArray());
        var e = Assert.Throws<ArgumentException>(() => StaticKeyPair.FromPrivateKey(new byte[16]));
        Assert.Equal("privateKey", e.ParamName);
    }
}
