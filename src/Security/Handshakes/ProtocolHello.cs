using System.Buffers.Binary;
using System.Text;

namespace SecretChat.Security;

/// <summary>
/// The first thing each side sends, in the clear: protocol magic, the protocol versions this side speaks, its
/// handshake role and the identifier of its security module. Layout (protocol 2; see docs/PROTOCOL.md §3):
/// <code>
/// "SCHT" | 0x02 (hello format) | role u8 | n u8 | n versions u8, ascending | id length u8 | module id ASCII | ignored
/// </code>
/// The initiator's hello, exactly as sent, is the handshake's prologue; the responder's hello comes back inside
/// the payload of the responder's first handshake message; so a man in the middle who rewrites either makes the
/// handshake fail. A version-1 peer's hello (seven bytes: "SCHT", 1, mode, role) is recognised, so that it can be
/// refused with a sentence naming both sides' versions.
/// </summary>
public sealed class ProtocolHello
{
    /// <summary>The protocol version this build speaks (the only one: version 1 is refused).</summary>
    public const byte CurrentVersion = 2;

    /// <summary>The value of the byte after the magic in a protocol-2 hello (a version-1 hello has 1 there).</summary>
    public const byte Format = 2;

    /// <summary>The longest hello a peer may send; longer ones are refused before parsing.</summary>
    public const int MaxSize = 255;

    /// <summary>The size of a version-1 hello: "SCHT", version, mode, role.</summary>
    public const int LegacySize = 7;

    /// <summary>The longest module identifier, in bytes (<see cref="SecurityModuleInfo.MaxIdLength"/>).</summary>
    public const int MaxModuleIdLength = SecurityModuleInfo.MaxIdLength;

    /// <summary>The most versions one hello lists.</summary>
    public const int MaxVersions = 16;

    private const uint Magic = 0x53434854; // "SCHT"

    private static ReadOnlySpan<byte> PrologueLabel => "SecretChat prologue v2"u8;

    /// <summary>This build's versions.</summary>
    public static IReadOnlyList<byte> SupportedVersions { get; } = [CurrentVersion];

    private readonly byte[] _bytes;

    /// <summary>A hello to send.</summary>
    /// <param name="versions">1 to <see cref="MaxVersions"/> protocol versions this side speaks, strictly ascending.</param>
    /// <param name="moduleId">The security module's identifier.</param>
    /// <param name="role">Initiator or responder.</param>
    /// <exception cref="ArgumentException">A list, identifier or role outside those rules.</exception>
    public ProtocolHello(IReadOnlyList<byte> versions, string moduleId, HandshakeRole role)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(moduleId);
        if (versions.Count is 0 or > MaxVersions)
            throw new ArgumentException($"A hello lists 1 to {MaxVersions} versions.", nameof(versions));
        for (var i = 1; i < versions.Count; i++)
        {
            if (versions[i] <= versions[i - 1])
                throw new ArgumentException("A hello lists its versions in strictly ascending order.", nameof(versions));
        }
        if (!IsValidModuleId(moduleId))
            throw new ArgumentException(
                $"A module id is 1 to {MaxModuleIdLength} characters of a-z, 0-9, '.', '_' and '-'; \"{moduleId}\" is not.", nameof(moduleId));
        if (role is not (HandshakeRole.Initiator or HandshakeRole.Responder))
            throw new ArgumentOutOfRangeException(nameof(role), role, "The role must be Initiator or Responder.");
        Versions = [.. versions];
        ModuleId = moduleId;
        Role = role;
        _bytes = new byte[4 + 1 + 1 + 1 + versions.Count + 1 + moduleId.Length];
        BinaryPrimitives.WriteUInt32BigEndian(_bytes, Magic);
        _bytes[4] = Format;
        _bytes[5] = (byte)role;
        _bytes[6] = (byte)versions.Count;
        var offset = 7;
        foreach (var version in versions)
            _bytes[offset++] = version;
        _bytes[offset++] = (byte)moduleId.Length;
        Encoding.ASCII.GetBytes(moduleId, _bytes.AsSpan(offset));
    }

    private ProtocolHello(IReadOnlyList<byte> versions, string moduleId, HandshakeRole role, byte[] bytes)
    {
        Versions = versions;
        ModuleId = moduleId;
        Role = role;
        _bytes = bytes;
    }

    /// <summary>This side's hello in protocol 2.</summary>
    public static ProtocolHello Local(ISecurityModule security, HandshakeRole role) =>
        new(SupportedVersions, security.Info.Id, role);

    /// <summary>The versions the sender speaks, ascending.</summary>
    public IReadOnlyList<byte> Versions { get; }

    /// <summary>The identifier of the sender's security module ("noise", "rsa", "pseudo" or a custom module's).</summary>
    public string ModuleId { get; }

    /// <summary>The role the sender takes in the handshake.</summary>
    public HandshakeRole Role { get; }

    /// <summary>True for a version-1 peer's seven-byte hello.</summary>
    public bool IsLegacy => Versions is [1] && _bytes.Length == LegacySize;

    /// <summary>The bytes on the wire (for a parsed hello: exactly what was received, ignored tail included).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A copy of <see cref="Bytes"/>.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>True when <paramref name="id"/> is a well-formed module identifier (<see cref="SecurityModuleInfo.IsValidId"/>).</summary>
    public static bool IsValidModuleId(string id) => SecurityModuleInfo.IsValidId(id);

    /// <summary>As <see cref="Parse"/>, without the exception: false for bytes that are not one of our hellos.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProtocolHello? hello)
    {
        try
        {
            hello = Parse(frame);
            return true;
        }
        catch (HandshakeException)
        {
            hello = null;
            return false;
        }
    }

    /// <summary>
    /// Parses a peer's hello (protocol 2, or a version-1 hello, see <see cref="IsLegacy"/>); throws
    /// <see cref="HandshakeException"/> when it is not one of ours. Bytes after the module id are kept (they are
    /// part of the prologue) and otherwise ignored, so that a later version can add fields.
    /// </summary>
    public static ProtocolHello Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < LegacySize || frame.Length > MaxSize || BinaryPrimitives.ReadUInt32BigEndian(frame) != Magic)
            throw new HandshakeException("The peer does not speak the SecretChat protocol.");
        if (frame.Length == LegacySize && frame[4] == 1)
            return new ProtocolHello([1], LegacyModuleId(frame[5]), (HandshakeRole)frame[6], frame.ToArray());
        if (frame[4] != Format)
            throw new HandshakeException(
                $"The peer's hello has a layout this side does not know (format {frame[4]}); this side speaks SecretChat protocol version {Describe(SupportedVersions)}.");
        var role = (HandshakeRole)frame[5];
        var count = frame[6];
        var rest = frame[7..];
        if (count is 0 or > MaxVersions || rest.Length < count + 1)
            throw Malformed("its version list is empty, too long or truncated");
        var versions = rest[..count].ToArray();
        for (var i = 1; i < versions.Length; i++)
        {
            if (versions[i] <= versions[i - 1])
                throw Malformed("its versions are not in ascending order");
        }
        rest = rest[count..];
        var idLength = rest[0];
        if (idLength is 0 or > MaxModuleIdLength || rest.Length < 1 + idLength)
            throw Malformed("its module id is empty, too long or truncated");
        var id = Encoding.ASCII.GetString(rest.Slice(1, idLength));
        if (!IsValidModuleId(id))
            throw Malformed("its module id has characters outside a-z, 0-9, '.', '_' and '-'");
        return new ProtocolHello(versions, id, role, frame.ToArray());
    }

    /// <summary>
    /// Checks the peer's hello against this side's and returns the version both speak (the highest common one);
    /// throws <see cref="HandshakeException"/> with one sentence otherwise. Each side of a refused pair reaches the
    /// same reason from its own point of view.
    /// </summary>
    public byte Negotiate(ProtocolHello peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var common = Versions.Intersect(peer.Versions).DefaultIfEmpty((byte)0).Max();
        if (common == 0)
            throw new HandshakeException(
                $"The peer speaks SecretChat protocol version {Describe(peer.Versions)} and this side speaks version {Describe(Versions)}: there is no version in common, so one side must be updated.");
        if (peer.Role is not (HandshakeRole.Initiator or HandshakeRole.Responder))
            throw new HandshakeException(
                $"The peer's hello names no known handshake role ({(byte)peer.Role}); it is not a SecretChat peer of this version.");
        if (peer.ModuleId != ModuleId)
            throw new HandshakeException(
                $"The peer uses {peer.ModuleId} encryption but this side uses {ModuleId}; both sides must choose the same security module.");
        if (peer.Role == Role)
            throw new HandshakeException(Role == HandshakeRole.Initiator
                ? "Both sides tried to start the handshake (both are initiators)."
                : "Both sides waited for the other to start the handshake (both are responders).");
        return common;
    }

    /// <summary>
    /// What a version-1 peer understands as a refusal: its own seven-byte hello layout with this side's version, so
    /// that it says "The peer speaks SecretChat protocol version 2; this side speaks version 1."
    /// </summary>
    public byte[] LegacyRefusal()
    {
        byte[] bytes = [0x53, 0x43, 0x48, 0x54, Versions[^1], LegacyModeByte(ModuleId), (byte)Role];
        return bytes;
    }

    /// <summary>The prologue both sides feed into the handshake: a label, the initiator's hello length and its bytes.</summary>
    public static byte[] Prologue(ProtocolHello initiator)
    {
        ArgumentNullException.ThrowIfNull(initiator);
        var prologue = new byte[PrologueLabel.Length + 1 + initiator._bytes.Length];
        PrologueLabel.CopyTo(prologue);
        prologue[PrologueLabel.Length] = (byte)initiator._bytes.Length;
        initiator._bytes.CopyTo(prologue, PrologueLabel.Length + 1);
        return prologue;
    }

    /// <summary>"1", "1 and 2", "1, 2 and 3".</summary>
    public static string Describe(IReadOnlyList<byte> versions) => versions.Count switch
    {
        0 => "none",
        1 => versions[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => string.Join(", ", versions.Take(versions.Count - 1)) + " and " + versions[^1],
    };

    private static HandshakeException Malformed(string what) =>
        new($"The peer's hello is malformed: {what}.");

    private static string LegacyModuleId(byte mode) => mode switch
    {
        0 => "pseudo",
        1 => "rsa",
        2 => "noise",
        _ => $"unknown-{mode}",
    };

    private static byte LegacyModeByte(string moduleId) => moduleId switch
    {
        "pseudo" => 0,
        "rsa" => 1,
        "noise" => 2,
        _ => 0xFF,
    };
}
