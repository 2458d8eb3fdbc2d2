using System.Security.Cryptography;
using System.Text.Json;

namespace SecretChat.Security.Identity;

/// <summary>
/// Trust on first use: the static key seen for each peer name, pinned in a JSON file readable by
/// the owner only. Every change is written atomically (temporary file, then rename), so a crash
/// leaves either the old file or the new one. Safe to share between threads of one process.
/// </summary>
/// <remarks>File format: <c>{"version":1,"peers":{"bob":{"key":"base64","verified":false}}}</c>.</remarks>
public sealed class KnownPeers
{
    /// <summary>The known-peers file's name inside <see cref="IdentityStore.DefaultDirectory"/>.</summary>
    public const string FileName = "known_peers.json";
    private const int FormatVersion = 1;

    private readonly Dictionary<string, Entry> _peers;
    private readonly Lock _lock = new();

    private KnownPeers(string path, Dictionary<string, Entry> peers)
    {
        FilePath = path;
        _peers = peers;
    }

    /// <summary><c>known_peers.json</c> beside the default identity.</summary>
    public static string DefaultPath => Path.Combine(IdentityStore.DefaultDirectory, FileName);

    /// <summary>The file this store reads and writes.</summary>
    public string FilePath { get; }

    /// <summary>Names with a pinned key, in no particular order.</summary>
    public IReadOnlyCollection<string> Names
    {
        get
        {
            lock (_lock)
                return [.. _peers.Keys];
        }
    }

    /// <summary>Opens the store at <paramref name="path"/> (or <see cref="DefaultPath"/>); a missing file is an empty store.</summary>
    /// <exception cref="IdentityException">The file exists but cannot be read or is malformed.</exception>
    public static KnownPeers Load(string? path = null)
    {
        path = Path.GetFullPath(path ?? DefaultPath);
        if (!File.Exists(path))
            return new KnownPeers(path, new Dictionary<string, Entry>(StringComparer.Ordinal));
        byte[] json;
        try
        {
            json = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException(path, $"The known-peers file {path} cannot be read: {e.Message}", e);
        }
        return new KnownPeers(path, Parse(path, json));
    }

    /// <summary>
    /// Compares <paramref name="key"/> with the key pinned for <paramref name="peerName"/> (in constant time) and changes
    /// nothing: new, match or changed, with the pinned key and whether it was verified.
    /// </summary>
    /// <exception cref="ArgumentException">The name or the key is null or empty.</exception>
    public PeerCheck Check(string peerName, ReadOnlySpan<byte> key)
    {
        CheckName(peerName);
        CheckKey(key);
        lock (_lock)
        {
            if (!_peers.TryGetValue(peerName, out var entry))
                return new PeerCheck(PeerVerdict.New, default, false);
            var verdict = CryptographicOperations.FixedTimeEquals(entry.Key, key) ? PeerVerdict.Match : PeerVerdict.Changed;
            return new PeerCheck(verdict, entry.Key.ToArray(), entry.Verified);
        }
    }

    /// <summary>Pins the key of a peer seen for the first time. Pinning the same key again does nothing.</summary>
    /// <exception cref="InvalidOperationException">A different key is pinned: use <see cref="Replace"/> after the user accepts it.</exception>
    public void Pin(string peerName, ReadOnlySpan<byte> key)
    {
        CheckName(peerName);
        CheckKey(key);
        lock (_lock)
        {
            if (_peers.TryGetValue(peerName, out var existing))
            {
                if (CryptographicOperations.FixedTimeEquals(existing.Key, key))
                    return;
                throw new InvalidOperationException(
                    $"A different key is already pinned for {peerName}; replacing it needs the user's explicit acceptance.");
            }
            var copy = key.ToArray();
            Commit(peers => peers[peerName] = new Entry(copy, Verified: false));
        }
    }

    /// <summary>Pins a new key for a peer after the user explicitly accepted it; the verified flag is reset.</summary>
    public void Replace(string peerName, ReadOnlySpan<byte> key)
    {
        CheckName(peerName);
        CheckKey(key);
        var copy = key.ToArray();
        lock (_lock)
            Commit(peers => peers[peerName] = new Entry(copy, Verified: false));
    }

    /// <summary>Records that the user compared the safety number out of band for the pinned key.</summary>
    /// <exception cref="InvalidOperationException">No key is pinned for the name.</exception>
    public void MarkVerified(string peerName)
    {
        CheckName(peerName);
        lock (_lock)
        {
            if (!_peers.TryGetValue(peerName, out var entry))
                throw new InvalidOperationException($"No key is pinned for {peerName}, so there is nothing to mark as verified.");
            Commit(peers => peers[peerName] = entry with { Verified = true });
        }
    }

    /// <summary>Applies a change to a copy, writes it, and only then makes it current.</summary>
    private void Commit(Action<Dictionary<string, Entry>> change)
    {
        var updated = new Dictionary<string, Entry>(_peers, StringComparer.Ordinal);
        change(updated);
        Write(updated);
        _peers.Clear();
        foreach (var (name, entry) in updated)
            _peers[name] = entry;
    }

    private void Write(Dictionary<string, Entry> peers)
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(FilePath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            IdentityStore.CreatePrivateDirectory(directory);
            using (var stream = new FileStream(temporary, IdentityStore.PrivateNewFile()))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("version", FormatVersion);
                    writer.WriteStartObject("peers");
                    foreach (var (name, entry) in peers.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        writer.WriteStartObject(name);
                        writer.WriteString("key", Convert.ToBase64String(entry.Key));
                        writer.WriteBoolean("verified", entry.Verified);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, FilePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            IdentityStore.TryDelete(temporary);
            throw new IdentityException(FilePath, $"The known-peers file {FilePath} cannot be written: {e.Message}", e);
        }
    }

    private static Dictionary<string, Entry> Parse(string path, byte[] json)
    {
        var peers = new Dictionary<string, Entry>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Malformed(path, "it is not a JSON object");
            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != FormatVersion)
                throw Malformed(path, $"it does not say \"version\": {FormatVersion}");
            if (!root.TryGetProperty("peers", out var list) || list.ValueKind != JsonValueKind.Object)
                throw Malformed(path, "it has no \"peers\" object");
            foreach (var peer in list.EnumerateObject())
            {
                if (peer.Name.Length == 0)
                    throw Malformed(path, "a peer has an empty name");
                if (peer.Value.ValueKind != JsonValueKind.Object
                    || !peer.Value.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String
                    || !key.TryGetBytesFromBase64(out var keyBytes) || keyBytes.Length == 0)
                    throw Malformed(path, $"the entry for {peer.Name} has no valid base64 \"key\"");
                var verified = peer.Value.TryGetProperty("verified", out var flag) && flag.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Malformed(path, $"the entry for {peer.Name} has a \"verified\" value that is not true or false"),
                };
                if (!peers.TryAdd(peer.Name, new Entry(keyBytes, verified)))
                    throw Malformed(path, $"{peer.Name} appears twice");
            }
        }
        catch (JsonException e)
        {
            throw new IdentityException(path, $"The known-peers file {path} is not valid JSON ({e.Message}); fix or remove it.", e);
        }
        catch (FormatException e)
        {
            throw new IdentityException(path, $"The known-peers file {path} is malformed ({e.Message}); fix or remove it.", e);
        }
        return peers;
    }

    private static IdentityException Malformed(string path, string problem) =>
        new(path, $"The known-peers file {path} is malformed: {problem}; fix or remove it.");

    private static void CheckName(string peerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerName);
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
            throw new ArgumentException("A peer key cannot be empty.", nameof(key));
    }

    private sealed record Entry(byte[] Key, bool Verified);
}
