using System.Buffers;

namespace SecretChat.Security;

/// <summary>What a security module promises; a user interface says only what these allow it to say.</summary>
[Flags]
public enum SecurityCapabilities
{
    /// <summary>Nothing: anyone on the path can read and change the messages.</summary>
    None = 0,

    /// <summary>Nobody but the two peers can read the messages.</summary>
    Confidential = 1,

    /// <summary>The handshake proves the peer holds a long-term key.</summary>
    AuthenticatesPeer = 2,

    /// <summary>The session carries the peer's long-term public key, so a safety number can be shown and pinned.</summary>
    HasFingerprint = 4,
}

/// <summary>
/// Who a security module is: its protocol identifier (negotiated on the wire, so two peers must use modules with
/// the same identifier), a name for people, and its capabilities. Modules written outside this library choose
/// their own identifier; the built-in ones are in <see cref="BuiltInModules"/>.
/// </summary>
public sealed record SecurityModuleInfo
{
    /// <summary>The longest identifier, in bytes.</summary>
    public const int MaxIdLength = 32;

    private static readonly SearchValues<char> IdCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>Describes a module: the identifier the handshake negotiates, the name people read, and what it protects.</summary>
    /// <param name="id">The protocol identifier: 1 to 32 characters of lower-case ASCII letters, digits, '.', '_' and '-'.</param>
    /// <param name="displayName">What a person reads, for example "Noise XX".</param>
    /// <param name="capabilities">What the module protects.</param>
    /// <exception cref="ArgumentException">The identifier is empty, too long or holds another character.</exception>
    public SecurityModuleInfo(string id, string displayName, SecurityCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        if (!IsValidId(id))
            throw new ArgumentException(
                $"A security module identifier is 1 to {MaxIdLength} characters of a-z, 0-9, '.', '_' and '-'; '{id}' is not.", nameof(id));
        Id = id;
        DisplayName = displayName;
        Capabilities = capabilities;
    }

    /// <summary>The protocol identifier, negotiated on the wire.</summary>
    public string Id { get; }

    /// <summary>A name for people.</summary>
    public string DisplayName { get; }

    /// <summary>What the module protects.</summary>
    public SecurityCapabilities Capabilities { get; }

    /// <summary>True when nobody but the peers can read the messages.</summary>
    public bool IsConfidential => Capabilities.HasFlag(SecurityCapabilities.Confidential);

    /// <summary>True when the session carries the peer's long-term key (safety number and pinning).</summary>
    public bool HasFingerprint => Capabilities.HasFlag(SecurityCapabilities.HasFingerprint);

    /// <summary>True when <paramref name="id"/> is a well-formed module identifier.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && !id.AsSpan().ContainsAnyExcept(IdCharacters);

    /// <summary>The identifier.</summary>
    public override string ToString() => Id;
}
