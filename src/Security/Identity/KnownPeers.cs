using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace SecretChat.Security.Identity;

/// <summary>
/// Trust on first use, keyed by key: each pinned static key with the name the user knows it by, in a JSON file
/// readable by the owner only. A key never seen whose name equals or looks like a contact's is not a new contact
/// (<see cref="PeerVerdict.Changed"/>, <see cref="PeerVerdict.LookAlike"/>). Every change takes an exclusive lock on
/// <c>known_peers.json.lock</c>, re-reads the file, applies that one change and writes the file atomically (temporary
/// file, then rename), so several stores on one file (a listener, <c>/verify</c>, <c>/trust</c>, other processes)
/// never undo each other's pins and a crash leaves either the old file or the new one. <see cref="Check(PeerName, ReadOnlySpan{byte})"/> re-reads
/// the file when it changed on disk. Safe to share between threads.
/// </summary>
/// <remarks>
/// File format, version 2:
/// <c>{"version":2,"contacts":[{"key":"base64","name":"alice","verified":false,"added":"2026-11-30T18:00:00+00:00"}]}</c>.
/// A contact verified by a code pairing also says <c>"verified_by":"code"</c> (a reader that does not know the field
/// still sees <c>"verified":true</c>; a missing field on a verified contact means the safety number).
/// Version 1 (<c>{"version":1,"peers":{"bob":{"key":"base64","verified":false}}}</c>) is read and rewritten as version
/// 2 on the next change.
/// </remarks>
public sealed class KnownPeers
{
    /// <summary>The known-peers file's name inside <see cref="IdentityStore.DefaultDirectory"/>.</summary>
    public const string FileName = "known_peers.json";

    /// <summary>How long a change waits for another process's lock on the file before giving up.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(5);

    private const int FormatVersion = 2;

    private readonly Lock _lock = new();
    private List<PeerContact> _contacts;
    private (DateTime WrittenAt, long Length)? _stamp;

    private KnownPeers(string path, List<PeerContact> contacts, (DateTime, long)? stamp)
    {
        FilePath = path;
        _contacts = contacts;
        _stamp = stamp;
    }

    /// <summary><c>known_peers.json</c> beside the default identity.</summary>
    public static string DefaultPath => Path.Combine(IdentityStore.DefaultDirectory, FileName);

    /// <summary>The file this store reads and writes.</summary>
    public string FilePath { get; }

    /// <summary>The lock file beside <see cref="FilePath"/> that every change holds while it re-reads and writes.</summary>
    public string LockPath => FilePath + ".lock";

    /// <summary>The names contacts are pinned under, in no particular order.</summary>
    public IReadOnlyCollection<string> Names
    {
        get
        {
            lock (_lock)
                return [.. _contacts.Select(contact => contact.Name.Value)];
        }
    }

    /// <summary>The contacts as last read or written.</summary>
    public IReadOnlyList<PeerContact> Contacts
    {
        get
        {
            lock (_lock)
                return [.. _contacts];
        }
    }

    /// <summary>Opens the store at <paramref name="path"/> (or <see cref="DefaultPath"/>); a missing file is an empty store.</summary>
    /// <exception cref="IdentityException">The path is a folder, or the file cannot be read or is malformed.</exception>
    public static KnownPeers Load(string? path = null)
    {
        path = Path.GetFullPath(path ?? DefaultPath);
        var (contacts, stamp) = Read(path);
        return new KnownPeers(path, contacts, stamp);
    }

    /// <summary>Checks <paramref name="key"/> and the name the peer gave; see <see cref="Check(PeerName, ReadOnlySpan{byte})"/>.</summary>
    /// <exception cref="ArgumentException">The name is not allowed (<see cref="PeerName"/>) or the key is empty.</exception>
    /// <exception cref="IdentityException">The file changed on disk and cannot be read again.</exception>
    public PeerCheck Check(string peerName, ReadOnlySpan<byte> key) => Check(ParseName(peerName), key);

    /// <summary>
    /// Compares <paramref name="key"/> with every pinned key (in constant time each) and changes nothing: a pinned key
    /// is <see cref="PeerVerdict.Match"/> whatever name the peer gives now; an unknown key under a contact's name is
    /// <see cref="PeerVerdict.Changed"/>, under a name that looks like one <see cref="PeerVerdict.LookAlike"/>, else
    /// <see cref="PeerVerdict.New"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty.</exception>
    /// <exception cref="IdentityException">The file changed on disk and cannot be read again.</exception>
    public PeerCheck Check(PeerName peerName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(peerName);
        CheckKey(key);
        lock (_lock)
        {
            RefreshIfChanged();
            return Classify(_contacts, peerName, key);
        }
    }

    /// <summary>Pins the key of a new contact under <paramref name="peerName"/>. Pinning a pinned key again does nothing.</summary>
    /// <exception cref="InvalidOperationException">The name is, or looks like, another contact's: use <see cref="Replace(PeerName, ReadOnlySpan{byte})"/> after the user accepts it.</exception>
    /// <exception cref="IdentityException">The file cannot be locked, read or written.</exception>
    public void Pin(PeerName peerName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(peerName);
        CheckKey(key);
        var copy = key.ToArray();
        Update(contacts =>
        {
            var check = Classify(contacts, peerName, copy);
            switch (check.Verdict)
            {
                case PeerVerdict.Match:
                    return false;
                case PeerVerdict.New:
                    contacts.Add(new PeerContact(peerName, copy, false, DateTimeOffset.UtcNow));
                    return true;
                default:
                    throw new InvalidOperationException(
                        $"The name {PeerName.Visible(peerName.Value)} is, or looks like, the contact {PeerName.Visible(check.Contact!.Name.Value)} with another key; replacing it needs the user's explicit acceptance.");
            }
        });
    }

    /// <inheritdoc cref="Pin(PeerName, ReadOnlySpan{byte})"/>
    /// <exception cref="ArgumentException">The name is not allowed or the key is empty.</exception>
    public void Pin(string peerName, ReadOnlySpan<byte> key) => Pin(ParseName(peerName), key);

    /// <summary>
    /// After the user explicitly accepted it, gives the contact that <paramref name="peerName"/> names or imitates
    /// the key <paramref name="key"/> (keeping the contact's pinned name; the verified flag is reset), or pins a new
    /// contact when there is none.
    /// </summary>
    /// <exception cref="IdentityException">The file cannot be locked, read or written.</exception>
    public void Replace(PeerName peerName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(peerName);
        CheckKey(key);
        var copy = key.ToArray();
        Update(contacts =>
        {
            var check = Classify(contacts, peerName, copy);
            if (check.Verdict == PeerVerdict.Match && !check.IsVerified)
                return false;
            if (check.Contact is { } contact)
            {
                // The key moves to the contact it claimed to be; no other contact keeps it.
                contacts.RemoveAll(other => CryptographicOperations.FixedTimeEquals(other.Key.Span, copy));
                var index = contacts.FindIndex(other => ReferenceEquals(other, contact));
                var replaced = contact with { Key = copy, IsVerified = false, VerifiedBy = PeerVerification.None, Added = DateTimeOffset.UtcNow };
                if (index < 0)
                    contacts.Add(replaced);
                else
                    contacts[index] = replaced;
            }
            else
            {
                contacts.Add(new PeerContact(peerName, copy, false, DateTimeOffset.UtcNow));
            }
            return true;
        });
    }

    /// <inheritdoc cref="Replace(PeerName, ReadOnlySpan{byte})"/>
    /// <exception cref="ArgumentException">The name is not allowed or the key is empty.</exception>
    public void Replace(string peerName, ReadOnlySpan<byte> key) => Replace(ParseName(peerName), key);

    /// <summary>Records that the user compared the safety number out of band for the contact with <paramref name="key"/>.</summary>
    /// <exception cref="InvalidOperationException">The key is not pinned.</exception>
    /// <exception cref="IdentityException">The file cannot be locked, read or written.</exception>
    public void MarkVerified(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        var copy = key.ToArray();
        Update(contacts =>
        {
            var index = contacts.FindIndex(contact => CryptographicOperations.FixedTimeEquals(contact.Key.Span, copy));
            if (index < 0)
                throw new InvalidOperationException("That key is not pinned, so there is nothing to mark as verified.");
            if (contacts[index].IsVerified)
                return false;
            contacts[index] = contacts[index] with { IsVerified = true, VerifiedBy = PeerVerification.SafetyNumber };
            return true;
        });
    }

    /// <summary>Records that the user compared the safety number out of band for the contact pinned under <paramref name="peerName"/>.</summary>
    /// <exception cref="InvalidOperationException">No contact has that name.</exception>
    /// <exception cref="IdentityException">The file cannot be locked, read or written.</exception>
    public void MarkVerified(string peerName)
    {
        var name = ParseName(peerName);
        Update(contacts =>
        {
            var index = contacts.FindIndex(contact => contact.Name.Equals(name));
            if (index < 0)
                throw new InvalidOperationException($"No key is pinned for {PeerName.Visible(name.Value)}, so there is nothing to mark as verified.");
            if (contacts[index].IsVerified)
                return false;
            contacts[index] = contacts[index] with { IsVerified = true, VerifiedBy = PeerVerification.SafetyNumber };
            return true;
        });
    }

    /// <summary>
    /// After a code pairing confirmed <paramref name="key"/> in this very session, pins it as verified by code: a pinned
    /// key is marked so (keeping its name); a key new under a contact's name, or one that looks like it, replaces that
    /// contact's key (the user chose this peer by giving it the code); otherwise a new contact is pinned under
    /// <paramref name="peerName"/>. Returns the name the key is pinned under and whether another key was replaced.
    /// </summary>
    /// <exception cref="IdentityException">The file cannot be locked, read or written.</exception>
    public (PeerName Name, bool Replaced) PinVerifiedByCode(PeerName peerName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(peerName);
        CheckKey(key);
        var copy = key.ToArray();
        (PeerName, bool) result = (peerName, false);
        Update(contacts =>
        {
            var check = Classify(contacts, peerName, copy);
            var verified = new PeerContact(peerName, copy, true, DateTimeOffset.UtcNow) { VerifiedBy = PeerVerification.Code };
            switch (check.Verdict)
            {
                case PeerVerdict.Match:
                    result = (check.Contact!.Name, false);
                    if (check.Contact.VerifiedBy == PeerVerification.Code)
                        return false;
                    contacts[contacts.IndexOf(check.Contact)] = check.Contact with { IsVerified = true, VerifiedBy = PeerVerification.Code };
                    return true;
                case PeerVerdict.New:
                    contacts.Add(verified);
                    return true;
                default:
                    result = (check.Contact!.Name, true);
                    contacts[contacts.IndexOf(check.Contact)] = verified with { Name = check.Contact.Name };
                    return true;
            }
        });
        return result;
    }

    private static PeerCheck Classify(List<PeerContact> contacts, PeerName name, ReadOnlySpan<byte> key)
    {
        PeerContact? known = null, sameName = null, lookAlike = null;
        foreach (var contact in contacts)
        {
            // Every key is compared, so the time taken does not say which contact matched.
            if (CryptographicOperations.FixedTimeEquals(contact.Key.Span, key))
                known ??= contact;
            else if (contact.Name.Equals(name))
                sameName ??= contact;
            else if (contact.Name.LooksLike(name))
                lookAlike ??= contact;
        }
        if (known is not null)
            return new PeerCheck(PeerVerdict.Match, known);
        if (sameName is not null)
            return new PeerCheck(PeerVerdict.Changed, sameName);
        return lookAlike is not null ? new PeerCheck(PeerVerdict.LookAlike, lookAlike) : new PeerCheck(PeerVerdict.New, null);
    }

    /// <summary>Under the file lock: re-reads the file, applies <paramref name="change"/>, writes it if it changed anything.</summary>
    private void Update(Func<List<PeerContact>, bool> change)
    {
        lock (_lock)
        {
            var directory = Path.GetDirectoryName(FilePath)!;
            CreateDirectory(directory);
            using var fileLock = AcquireLock();
            var (contacts, stamp) = Read(FilePath);
            if (change(contacts))
            {
                Write(contacts);
                stamp = Stamp(FilePath);
            }
            _contacts = contacts;
            _stamp = stamp;
        }
    }

    private void RefreshIfChanged()
    {
        (DateTime, long)? stamp;
        try
        {
            stamp = File.Exists(FilePath) ? Stamp(FilePath) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(FilePath, $"The known-peers file {FilePath} cannot be read: {e.Message}", e);
        }
        if (stamp == _stamp)
            return;
        (_contacts, _stamp) = Read(FilePath);
    }

    private FileStream AcquireLock()
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, options);
            }
            catch (IOException e) when (e is not (DirectoryNotFoundException or FileNotFoundException or PathTooLongException) && DateTime.UtcNow < deadline)
            {
                // Another store holds the lock for one short read-change-write: wait a moment, then try again.
                Thread.Sleep(10);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IdentityException(FilePath,
                    $"The known-peers file {FilePath} cannot be changed because its lock {LockPath} cannot be taken ({e.Message}); " +
                    "close other SecretChat sessions using it, or check that you may write to that folder.", e);
            }
        }
    }

    private static void CreateDirectory(string directory)
    {
        try
        {
            IdentityStore.CreatePrivateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(directory,
                $"The folder {directory} of the known-peers file cannot be created ({e.Message}); create it, or point --known-peers at a file in a folder you own.", e);
        }
    }

    private void Write(List<PeerContact> contacts)
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(FilePath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, IdentityStore.PrivateNewFile()))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("version", FormatVersion);
                    writer.WriteStartArray("contacts");
                    foreach (var contact in contacts)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("key", Convert.ToBase64String(contact.Key.Span));
                        writer.WriteString("name", contact.Name.Value);
                        writer.WriteBoolean("verified", contact.IsVerified);
                        if (contact.VerifiedBy == PeerVerification.Code)
                            writer.WriteString("verified_by", "code");
                        writer.WriteString("added", contact.Added.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, FilePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            IdentityStore.TryDelete(temporary);
            throw new IdentityException(FilePath,
                $"The known-peers file {FilePath} cannot be written ({e.Message}); check that it is a file you own in a folder you may write to, or point --known-peers elsewhere.", e);
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return (info.LastWriteTimeUtc, info.Length);
    }

    private static (List<PeerContact> Contacts, (DateTime, long)? Stamp) Read(string path)
    {
        if (Directory.Exists(path))
            throw new IdentityException(path, $"The known-peers file {path} is a folder, not a file; point --known-peers at a file path.");
        if (!File.Exists(path))
            return ([], null);
        byte[] json;
        (DateTime, long) stamp;
        try
        {
            stamp = Stamp(path);
            json = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(path,
                $"The known-peers file {path} cannot be read ({e.Message}); make it readable by you, or point --known-peers elsewhere.", e);
        }
        return (Parse(path, json, stamp.Item1), stamp);
    }

    private static List<PeerContact> Parse(string path, byte[] json, DateTime writtenAt)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Malformed(path, "it is not a JSON object");
            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number))
                throw Malformed(path, $"it does not say \"version\": {FormatVersion}");
            return number switch
            {
                1 => ParseVersion1(path, root, new DateTimeOffset(writtenAt, TimeSpan.Zero)),
                FormatVersion => ParseVersion2(path, root),
                _ => throw Malformed(path, $"it says \"version\": {number}, and this SecretChat reads versions 1 and {FormatVersion}"),
            };
        }
        catch (JsonException e)
        {
            throw new IdentityException(path, $"The known-peers file {path} is not valid JSON ({e.Message}); fix or remove it.", e);
        }
    }

    private static List<PeerContact> ParseVersion1(string path, JsonElement root, DateTimeOffset added)
    {
        if (!root.TryGetProperty("peers", out var list) || list.ValueKind != JsonValueKind.Object)
            throw Malformed(path, "it has no \"peers\" object");
        var contacts = new List<PeerContact>();
        foreach (var peer in list.EnumerateObject())
        {
            var name = ParseStoredName(path, peer.Name);
            if (peer.Value.ValueKind != JsonValueKind.Object)
                throw Malformed(path, $"the entry for {PeerName.Visible(peer.Name)} is not an object");
            var key = ParseKey(path, peer.Value, peer.Name);
            var verified = ParseVerified(path, peer.Value, peer.Name);
            if (contacts.Exists(contact => CryptographicOperations.FixedTimeEquals(contact.Key.Span, key)))
                continue; // version 1 could pin one key under two names: the first one stays
            contacts.Add(new PeerContact(name, key, verified, added));
        }
        return contacts;
    }

    private static List<PeerContact> ParseVersion2(string path, JsonElement root)
    {
        if (!root.TryGetProperty("contacts", out var list) || list.ValueKind != JsonValueKind.Array)
            throw Malformed(path, "it has no \"contacts\" list");
        var contacts = new List<PeerContact>();
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
                throw Malformed(path, "a contact has no \"name\"");
            var text = nameElement.GetString()!;
            var name = ParseStoredName(path, text);
            var key = ParseKey(path, entry, text);
            var verified = ParseVerified(path, entry, text);
            var added = DateTimeOffset.UnixEpoch;
            if (entry.TryGetProperty("added", out var date)
                && (date.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(date.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out added)))
                throw Malformed(path, $"the contact {PeerName.Visible(text)} has an \"added\" value that is not a date");
            if (contacts.Exists(contact => CryptographicOperations.FixedTimeEquals(contact.Key.Span, key)))
                throw Malformed(path, $"the key of {PeerName.Visible(text)} appears twice");
            contacts.Add(new PeerContact(name, key, verified, added) { VerifiedBy = ParseVerifiedBy(path, entry, text) });
        }
        return contacts;
    }

    private static PeerName ParseStoredName(string path, string text) =>
        PeerName.TryParse(text, out var name, out var problem)
            ? name
            : throw Malformed(path, $"the contact name {PeerName.Visible(text)} is not allowed ({problem})");

    private static byte[] ParseKey(string path, JsonElement entry, string name) =>
        entry.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String
            && key.TryGetBytesFromBase64(out var bytes) && bytes.Length > 0
            ? bytes
            : throw Malformed(path, $"the entry for {PeerName.Visible(name)} has no valid base64 \"key\"");

    private static bool ParseVerified(string path, JsonElement entry, string name) =>
        entry.TryGetProperty("verified", out var flag) && flag.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Malformed(path, $"the entry for {PeerName.Visible(name)} has a \"verified\" value that is not true or false"),
        };

    // Only "code" is written; "safety-number" is accepted for symmetry. An unknown value is refused like any malformed field.
    private static PeerVerification ParseVerifiedBy(string path, JsonElement entry, string name) =>
        !entry.TryGetProperty("verified_by", out var by)
            ? PeerVerification.None
            : by.ValueKind == JsonValueKind.String && by.GetString() is { } text
                ? text switch
                {
                    "code" => PeerVerification.Code,
                    "safety-number" => PeerVerification.SafetyNumber,
                    _ => throw Malformed(path, $"the entry for {PeerName.Visible(name)} has a \"verified_by\" value that is not \"code\" or \"safety-number\""),
                }
                : throw Malformed(path, $"the entry for {PeerName.Visible(name)} has a \"verified_by\" value that is not text");

    private static IdentityException Malformed(string path, string problem) =>
        new(path, $"The known-peers file {path} is malformed: {problem}; fix or remove it.");

    private static PeerName ParseName(string peerName, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(peerName))] string? parameter = null)
    {
        ArgumentNullException.ThrowIfNull(peerName, parameter);
        return PeerName.TryParse(peerName, out var name, out var problem)
            ? name
            : throw new ArgumentException($"The name {PeerName.Visible(peerName)} is not allowed: {problem}.", parameter);
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
            throw new ArgumentException("A peer key cannot be empty.", nameof(key));
    }
}
