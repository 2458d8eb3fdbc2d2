using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SecretChat.Signaling;

/// <summary>
/// coturn's shared-secret credentials (the "TURN REST API" scheme its <c>use-auth-secret</c> option accepts): the username
/// is <c>expiry:name</c> with the expiry in Unix seconds, the password base64(HMAC-SHA1(secret, username)). The TURN server
/// recomputes the password from its own copy of the secret and refuses the username once its expiry has passed.
/// </summary>
internal static class TurnCredentialIssuer
{
    /// <summary>Credentials for <paramref name="name"/> valid until <paramref name="expires"/> (rounded down to the second).</summary>
    public static (string Username, string Password) Issue(ReadOnlySpan<byte> secret, string name, DateTimeOffset expires)
    {
        var username = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + name;
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(secret, Encoding.UTF8.GetBytes(username), mac);
        return (username, Convert.ToBase64String(mac));
    }
}
