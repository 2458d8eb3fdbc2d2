using System.Security.Cryptography;
using System.Text;

namespace SecretChat.Transport.Stun;

/// <summary>Keys for MESSAGE-INTEGRITY (RFC 8489 §9).</summary>
/// <remarks>
/// Passwords are used as given: OpaqueString/SASLprep normalisation is the caller's job
/// (ASCII passwords, which ICE and most deployments use, are unchanged by it).
/// </remarks>
public static class StunCredentials
{
    /// <summary>Short-term credentials: the key is the password's UTF-8 bytes.</summary>
    public static byte[] ShortTermKey(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return Encoding.UTF8.GetBytes(password);
    }

    /// <summary>Long-term credentials: the key is MD5(username ":" realm ":" password).</summary>
    public static byte[] LongTermKey(string username, string realm, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(password);
#pragma warning disable CA5351 // MD5 is what RFC 8489 prescribes for the long-term key; it is not our choice.
        return MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));
#pragma warning restore CA5351
    }
}
