namespace SecretChat.Security;

/// <summary>How a session is protected. The mode is bound into the handshake, so a downgrade is detected.</summary>
public enum SecurityMode : byte
{
    /// <summary>No confidentiality and no authentication: for tests and debugging only.</summary>
    Pseudo = 0,

    /// <summary>The original design: RSA-OAEP key transport of a 16-byte session key, then AES-GCM.</summary>
    Rsa = 1,

    /// <summary>Noise_XX_25519_ChaChaPoly_SHA256: mutual authentication and forward secrecy (the default).</summary>
    Noise = 2,
}

public static class SecurityModes
{
    /// <summary>The name used on the command line, in settings and in events.</summary>
    public static string Name(this SecurityMode mode) => mode switch
    {
        SecurityMode.Pseudo => "pseudo",
        SecurityMode.Rsa => "rsa",
        SecurityMode.Noise => "noise",
        _ => $"unknown({(byte)mode})",
    };

    public static bool TryParse(string? name, out SecurityMode mode)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "pseudo": mode = SecurityMode.Pseudo; return true;
            case "rsa": mode = SecurityMode.Rsa; return true;
            case "noise": mode = SecurityMode.Noise; return true;
            default: mode = default; return false;
        }
    }
}
