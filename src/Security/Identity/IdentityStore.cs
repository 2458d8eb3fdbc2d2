using System.Security.Cryptography;

namespace SecretChat.Security.Identity;

/// <summary>
/// Keeps this user's long-term identity key in a file: exactly the 32 raw bytes of the X25519
/// private key, readable by the owner only (0600, in a 0700 directory, both set at creation). On Unix a
/// file that other users can access is refused, as ssh refuses such a private key.
/// </summary>
public static class IdentityStore
{
    /// <summary>The identity file's name inside <see cref="DefaultDirectory"/>.</summary>
    public const string FileName = "identity.key";

    /// <summary><c>$XDG_CONFIG_HOME/secretchat</c>, or <c>~/.config/secretchat</c> (the application data folder on Windows).</summary>
    public static string DefaultDirectory => DefaultDirectoryFor(
        Environment.GetEnvironmentVariable("XDG_CONFIG_HOME"),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The identity file used when no path is given.</summary>
    public static string DefaultPath => Path.Combine(DefaultDirectory, FileName);

    /// <summary>
    /// Loads the identity at <paramref name="path"/> (or <see cref="DefaultPath"/>), creating a new
    /// one if the file does not exist yet. The caller owns and disposes the key pair.
    /// </summary>
    /// <exception cref="IdentityException">
    /// The file exists but is not a usable identity, other users can access it (Unix), or it cannot be read or written.
    /// </exception>
    public static StaticKeyPair LoadOrCreate(string? path = null)
    {
        path = Path.GetFullPath(path ?? DefaultPath);
        if (File.Exists(path))
            return Load(path);
        try
        {
            return Create(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it between our check and our move: use theirs.
            return Load(path);
        }
    }

    internal static string DefaultDirectoryFor(string? xdgConfigHome, string userProfile)
    {
        // The XDG spec says a relative value is invalid and must be ignored.
        if (!string.IsNullOrEmpty(xdgConfigHome) && Path.IsPathRooted(xdgConfigHome))
            return Path.Combine(xdgConfigHome, "secretchat");
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "secretchat");
        return Path.Combine(userProfile, ".config", "secretchat");
    }

    /// <summary>Creates <paramref name="directory"/> (and missing parents) with mode 0700 on Unix.</summary>
    internal static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Options for a new file that only the owner can read, with the mode set at creation.</summary>
    internal static FileStreamOptions PrivateNewFile()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private static StaticKeyPair Load(string path)
    {
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length != StaticKeyPair.KeySize)
                throw new IdentityException(path,
                    $"The identity file {path} is {length} bytes long, but an identity key is exactly {StaticKeyPair.KeySize} bytes; it is corrupt or not a SecretChat identity.");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(path, $"The identity file {path} cannot be read: {e.Message}", e);
        }

        try
        {
            if (bytes.Length != StaticKeyPair.KeySize)
                throw new IdentityException(path, $"The identity file {path} changed while it was being read; try again.");
            if (bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                throw new IdentityException(path, $"The identity file {path} holds only zero bytes; it is corrupt.");
            EnsureOwnerOnly(path);
            return StaticKeyPair.FromPrivateKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Refuses, as ssh does, a key file that anyone but its owner can read, write or execute (any of the 077 bits), a
    /// folder that others can write to (they could swap the key file), and either one owned by another user.
    /// </summary>
    private static void EnsureOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
            return;
        EnsureOwnedByUs(path, "identity file", $"'chown {OwnerName()} {path}'");
        var folder = Path.GetDirectoryName(path)!;
        EnsureOwnedByUs(folder, "folder of the identity file", $"'chown {OwnerName()} {folder}'");
        var folderMode = File.GetUnixFileMode(folder);
        if ((folderMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 && (folderMode & UnixFileMode.StickyBit) == 0)
            throw new IdentityException(path,
                $"The folder {folder} of the identity file {path} can be written by other users (mode {Octal(folderMode)}), so they could replace your identity; make it yours only with 'chmod 700 {folder}' and try again.");
        const UnixFileMode others =
            UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(path, $"The identity file {path} cannot be read: {e.Message}", e);
        }
        if ((mode & others) != 0)
            throw new IdentityException(path,
                $"The identity file {path} can be accessed by other users (mode {Octal(mode)}), so its private key is not private; make it readable by you only with 'chmod 600 {path}' and try again.");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    private static string OwnerName() => string.IsNullOrEmpty(Environment.UserName) ? FileOwner.EffectiveUserId.ToString(System.Globalization.CultureInfo.InvariantCulture) : Environment.UserName;

    /// <summary>Refuses a file or folder that another user owns (Linux; elsewhere the owner cannot be read).</summary>
    private static void EnsureOwnedByUs(string path, string what, string fix)
    {
        if (!FileOwner.IsSupported)
            return;
        uint owner;
        try
        {
            owner = FileOwner.OwnerOf(path);
        }
        catch (IOException e)
        {
            throw new IdentityException(path, $"The {what} {path} cannot be checked: {e.Message}", e);
        }
        var us = FileOwner.EffectiveUserId;
        if (owner != us)
            throw new IdentityException(path,
                $"The {what} {path} belongs to another user (uid {owner}, you are uid {us}), who could read or replace your identity; make it yours with {fix} (as root) or use another --identity, and try again.");
    }

    private static StaticKeyPair Create(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        var keyPair = StaticKeyPair.Generate();
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            CreatePrivateDirectory(directory);
            using (var stream = new FileStream(temporary, PrivateNewFile()))
            {
                stream.Write(keyPair.PrivateKey);
                stream.Flush(flushToDisk: true);
            }
            // A whole file or none: a crash never leaves a half-written identity behind.
            File.Move(temporary, path, overwrite: false);
            return keyPair;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            keyPair.Dispose();
            TryDelete(temporary);
            if (e is IOException && File.Exists(path))
                throw;
            throw new IdentityException(path, $"The identity file {path} cannot be created: {e.Message}", e);
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless.
        }
    }
}
