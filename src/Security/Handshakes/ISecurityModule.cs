namespace SecretChat.Security;

/// <summary>
/// A security mode as a pluggable module: makes a fresh handshake for each connection.
/// </summary>
public interface ISecurityModule
{
    /// <summary>The module's protocol identifier, name and capabilities.</summary>
    SecurityModuleInfo Info { get; }

    /// <summary>
    /// Creates one side of a handshake. <paramref name="prologue"/> is the transcript of what both
    /// sides said before the handshake (protocol version and offered modes, in initiator-then-responder
    /// order); the handshake must bind it so that any tampering with it makes the handshake fail.
    /// </summary>
    IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue);
}
