using SecretChat.Security.Identity;
using SecretChat.Security.Noise;

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

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "0640")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, "0604")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite, "0620")]
    public void LoadOrCreate_FileOthersCanAccess_RefusedWithTheChmodThatFixesIt(UnixFileMode mode, string octal)
    {
        if (OperatingSystem.IsWindows())
            return;
        using var temp = new TempDirectory();
        var path = temp.File("identity.key");
        byte[] original;
        using (var created = IdentityStore.LoadOrCreate(path))
            original = File.ReadAllBytes(path);
        File.SetUnixFileMode(path, mode);

        var e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));

        Assert.Equal(path, e.FilePath);
        Assert.Equal(
            $"The identity file {path} can be accessed by other users (mode {octal}), so its private key is not private; make it readable by you only with 'chmod 600 {path}' and try again.",
            e.Message);
        Assert.Equal(original, File.ReadAllBytes(path)); // never overwritten
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var reloaded = IdentityStore.LoadOrCreate(path);
        Assert.Equal(original, reloaded.PrivateKey.ToArray());
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute, "0770")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute, "0703")]
    public void LoadOrCreate_FolderOthersCanWrite_RefusedWithTheChmodThatFixesIt(UnixFileMode mode, string octal)
    {
        if (OperatingSystem.IsWindows())
            return;
        using var temp = new TempDirectory();
        var folder = temp.File("keys");
        var path = Path.Combine(folder, "identity.key");
        IdentityStore.LoadOrCreate(path).Dispose();
        File.SetUnixFileMode(folder, mode);

        var e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));

        Assert.Equal(
            $"The folder {folder} of the identity file {path} can be written by other users (mode {octal}), so they could replace your identity; make it yours only with 'chmod 700 {folder}' and try again.",
            e.Message);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        IdentityStore.LoadOrCreate(path).Dispose();
    }

    [Fact]
    public void LoadOrCreate_FileOrFolderOwnedByAnotherUser_RefusedWithTheChownThatFixesIt()
    {
        // Giving a file away needs root (CI and this machine run as root); elsewhere the case cannot be set up.
        if (!OperatingSystem.IsLinux() || FileOwner.EffectiveUserId != 0)
            return;
        using var temp = new TempDirectory();
        var folder = temp.File("keys");
        var path = Path.Combine(folder, "identity.key");
        IdentityStore.LoadOrCreate(path).Dispose();
        const int nobody = 65534;

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Chown(path, nobody);
        Assert.Equal((uint)nobody, FileOwner.OwnerOf(path));
        var e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));
        Assert.StartsWith($"The identity file {path} belongs to another user (uid {nobody}, you are uid 0)", e.Message);
        Assert.Contains($"'chown {Environment.UserName} {path}'", e.Message);

        Chown(path, 0);
        Chown(folder, nobody);
        e = Assert.Throws<IdentityException>(() => IdentityStore.LoadOrCreate(path));
        Assert.StartsWith($"The folder of the identity file {folder} belongs to another user (uid {nobody}", e.Message);

        Chown(folder, 0);
        IdentityStore.LoadOrCreate(path).Dispose();
    }

    [Fact]
    public void FileOwner_OwnFile_IsThisUser()
    {
        if (!FileOwner.IsSupported)
            return;
        using var temp = new TempDirectory();
        var path = temp.WriteFile("mine.txt", "x");
        Assert.Equal(FileOwner.EffectiveUserId, FileOwner.OwnerOf(path));
        Assert.Throws<IOException>(() => FileOwner.OwnerOf(temp.File("missing")));
    }

    private static void Chown(string path, int uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    [Fact]
    public void LoadOrCreate_OwnerReadOnlyFile_Loads()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var temp = new TempDirectory();
        var path = temp.File("identity.key");
        IdentityStore.LoadOrCreate(path).Dispose();
        File.SetUnixFileMode(path, UnixFileMode.UserRead);

        using var loaded = IdentityStore.LoadOrCreate(path);

        Assert.Equal(File.ReadAllBytes(path), loaded.PrivateKey.ToArray());
    }

    [Fact]
    public void DefaultDirectory_Unset_FollowsXdgConfigHomeThenHome()
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
    public void StaticKeyPair_Dispose_WipesPrivateKeyAndRefusesEveryUse()
    {
        var pair = StaticKeyPair.Generate();
        var storage = pair.PrivateKeyStorage;
        Assert.Equal(32, pair.PublicKey.Length);
        Assert.NotEqual(-1, storage.Span.IndexOfAnyExcept((byte)0));

        pair.Dispose();
        pair.Dispose();

        Assert.All(storage.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => pair.PrivateKey.Length);
        Assert.Throws<ObjectDisposedException>(() => pair.PublicKey);
        Assert.DoesNotContain("00000000", pair.ToString());
    }

    [Fact]
    public void StaticKeyPair_LoadedFromFile_WipedOnDispose()
    {
        using var temp = new TempDirectory();
        var path = temp.File("identity.key");
        IdentityStore.LoadOrCreate(path).Dispose();
        var loaded = IdentityStore.LoadOrCreate(path);
        var storage = loaded.PrivateKeyStorage;
        Assert.Equal(File.ReadAllBytes(path), storage.ToArray());

        loaded.Dispose();

        Assert.All(storage.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void NoiseSecurity_IdentityDisposed_CreateHandshakeThrowsObjectDisposed()
    {
        var identity = StaticKeyPair.Generate();
        var security = new NoiseSecurity(identity);
        identity.Dispose();

        Assert.Throws<ObjectDisposedException>(() => security.CreateHandshake(HandshakeRole.Initiator, [1, 2, 3]));
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
