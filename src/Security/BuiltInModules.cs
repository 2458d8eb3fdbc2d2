using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.Security;

/// <summary>The security modules this library ships, by identifier (the names <c>--encryption</c> accepts).</summary>
public static class BuiltInModules
{
    /// <summary>Noise XX: mutual authentication, forward secrecy, a safety number (the default).</summary>
    public static SecurityModuleInfo Noise => NoiseSecurity.Descriptor;

    /// <summary>The original design made sound: RSA-OAEP key transport, then AES-GCM; the peer is not authenticated.</summary>
    public static SecurityModuleInfo Rsa => RsaSecurity.Descriptor;

    /// <summary>No protection at all: tests and debugging only.</summary>
    public static SecurityModuleInfo Pseudo => PseudoSecurity.Descriptor;

    /// <summary>Every built-in module, the default first.</summary>
    public static IReadOnlyList<SecurityModuleInfo> All { get; } = [Noise, Rsa, Pseudo];

    /// <summary>Finds the built-in module called <paramref name="id"/> (case and surrounding spaces ignored).</summary>
    public static bool TryFind(string? id, out SecurityModuleInfo module)
    {
        var wanted = id?.Trim().ToLowerInvariant();
        module = All.FirstOrDefault(m => m.Id == wanted)!;
        return module is not null;
    }
}
