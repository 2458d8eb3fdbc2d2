namespace SecretChat.Security.Pseudo;

/// <summary>
/// The pseudo mode. <b>IT PROTECTS NOTHING: messages travel in plaintext, anyone on the path can read, change,
/// drop or inject them, and the peer is not authenticated.</b> It exists for tests and debugging only, and the
/// app must say so loudly whenever it is in use. Its handshake only checks that both sides agree on the
/// prologue (protocol version and mode), so a peer that expects a real mode fails clearly instead of
/// misreading plaintext; an attacker can forge that check trivially.
/// </summary>
public sealed class PseudoSecurity : ISecurityModule
{
    /// <summary>What its sessions report as <see cref="SecureSession.ProtocolName"/>: no cipher at all.</summary>
    public const string ProtocolName = "plaintext";

    /// <summary>The module's identity: id <c>pseudo</c>, no capabilities at all.</summary>
    public static SecurityModuleInfo Descriptor { get; } = new("pseudo", "no encryption (tests only)", SecurityCapabilities.None);

    /// <inheritdoc />
    public SecurityModuleInfo Info => Descriptor;

    /// <inheritdoc/>
    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue) => role switch
    {
        HandshakeRole.Initiator or HandshakeRole.Responder => new PseudoHandshake(role, prologue),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "The role is neither initiator nor responder."),
    };
}
