using System.Buffers.Binary;

namespace SecretChat.Security;

/// <summary>
/// The first frame each side sends, in the clear and before any handshake: protocol magic and
/// version, the security module this side offers (by identifier) and the role it takes. A mismatch is refused with a clear
/// reason on both sides, and both hellos become the handshake's prologue, so a man in the middle
/// who rewrites them (a downgrade) makes the handshake itself fail.
/// </summary>
public readonly record struct ProtocolHello(byte Version, string ModuleId, HandshakeRole Role)
{
    /// <summary>The protocol version this build speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Bytes on the wire: "SCHT", version, mode, role.</summary>
    public const int Size = 7;

    private const uint Magic = 0x53434854; // "SCHT"

    private static ReadOnlySpan<byte> PrologueLabel => "SecretChat prologue v1"u8;

    // Version 1 names the module with one byte, so it can carry only the built-in modules.
    private static readonly string[] ModuleCodes = ["pseudo", "rsa", "noise"];

    /// <summary>Writes the hello's <see cref="Size"/> bytes to the start of <paramref name="destination"/>.</summary>
    /// <exception cref="HandshakeException">This version of the hello cannot name <see cref="ModuleId"/>.</exception>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        destination[4] = Version;
        destination[5] = ModuleCode(ModuleId);
        destination[6] = (byte)Role;
    }

    /// <summary>The hello's <see cref="Size"/> bytes, in a new array the caller owns.</summary>
    /// <exception cref="HandshakeException">This version of the hello cannot name <see cref="ModuleId"/>.</exception>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Parses a peer's hello; throws <see cref="HandshakeException"/> when it is not one of ours.</summary>
    public static ProtocolHello Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length != Size || BinaryPrimitives.ReadUInt32BigEndian(frame) != Magic)
            throw new HandshakeException("The peer does not speak the SecretChat protocol.");
        var moduleId = frame[5] < ModuleCodes.Length ? ModuleCodes[frame[5]] : $"unknown({frame[5]})";
        return new ProtocolHello(frame[4], moduleId, (HandshakeRole)frame[6]);
    }

    /// <summary>
    /// Checks the peer's hello against this side's; throws <see cref="HandshakeException"/> with the reason.
    /// </summary>
    public void EnsureCompatibleWith(ProtocolHello peer)
    {
        if (peer.Version != Version)
            throw new HandshakeException(
                $"The peer speaks SecretChat protocol version {peer.Version}; this side speaks version {Version}.");
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
    }

    private static byte ModuleCode(string moduleId)
    {
        var code = Array.IndexOf(ModuleCodes, moduleId);
        return code >= 0
            ? (byte)code
            : throw new HandshakeException($"Protocol version 1 carries only the built-in security modules, not '{moduleId}'.");
    }

    /// <summary>The prologue both sides feed into the handshake: a label, then the initiator's and the responder's hellos.</summary>
    public static byte[] Prologue(ProtocolHello local, ProtocolHello peer)
    {
        var (initiator, responder) = local.Role == HandshakeRole.Initiator ? (local, peer) : (peer, local);
        var prologue = new byte[PrologueLabel.Length + 2 * Size];
        PrologueLabel.CopyTo(prologue);
        initiator.Write(prologue.AsSpan(PrologueLabel.Length));
        responder.Write(prologue.AsSpan(PrologueLabel.Length + Size));
        return prologue;
    }
}
