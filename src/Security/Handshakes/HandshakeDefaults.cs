namespace SecretChat.Security;

/// <summary>The one home of the handshake's default limits, for every transport and every layer above.</summary>
public static class HandshakeDefaults
{
    /// <summary>How long connecting plus the handshake may take before it fails with a clear error.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
}
