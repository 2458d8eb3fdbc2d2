using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>
/// A TURN user name and password (long-term credentials, RFC 8489 §9.2), either given as they are or made from a
/// shared secret with the "TURN REST API" scheme that coturn's <c>use-auth-secret</c> checks.
/// </summary>
/// <remarks>The password is kept as given (OpaqueString normalisation is the caller's job) and never shown by <see cref="ToString"/>.</remarks>
public sealed class TurnCredentials
{
    /// <summary>Credentials given as they are, such as a static user of the TURN server.</summary>
    /// <param name="username">The USERNAME sent to the server.</param>
    /// <param name="password">The password the long-term key is made from.</param>
    /// <param name="expiresAt">When the server stops accepting them, if known: only used to explain a refusal.</param>
    /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="username"/> is empty or longer than 508 bytes of UTF-8.</exception>
    public TurnCredentials(string username, string password, DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        if (username.Length == 0 || Encoding.UTF8.GetByteCount(username) > 508)
            throw new ArgumentException("A TURN user name is 1 to 508 bytes of UTF-8 (RFC 8489 §14.3).", nameof(username));
        Username = username;
        Password = password;
        ExpiresAt = expiresAt;
    }

    /// <summary>The USERNAME sent to the server.</summary>
    public string Username { get; }

    /// <summary>The password the long-term key is made from.</summary>
    public string Password { get; }

    /// <summary>When the server stops accepting these credentials, if known (the REST scheme's user names say it).</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>
    /// Credentials with the shared-secret scheme of coturn's <c>use-auth-secret</c>: the user name is
    /// <c>expiry:name</c> (expiry in Unix seconds), the password base64(HMAC-SHA1(secret, user name)).
    /// </summary>
    /// <param name="secret">The server's <c>static-auth-secret</c>, as text.</param>
    /// <param name="name">Who the credentials are for (any text without a colon; it shows in the server's logs).</param>
    /// <param name="expiresAt">When the server stops accepting them (whole seconds; rounded down).</param>
    /// <exception cref="ArgumentNullException"><paramref name="secret"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is empty, or <paramref name="name"/> contains a colon.</exception>
    public static TurnCredentials FromSharedSecret(string secret, string name, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return FromSharedSecret(Encoding.UTF8.GetBytes(secret), name, expiresAt);
    }

    /// <summary>
    /// The same scheme with the secret as bytes, as read from a secret file (what a signaling server that hands out the
    /// credentials holds).
    /// </summary>
    /// <param name="secret">The server's <c>static-auth-secret</c>, as the bytes of its text.</param>
    /// <param name="name">Who the credentials are for (any text without a colon; it shows in the server's logs).</param>
    /// <param name="expiresAt">When the server stops accepting them (whole seconds; rounded down).</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is empty, or <paramref name="name"/> contains a colon.</exception>
    public static TurnCredentials FromSharedSecret(ReadOnlySpan<byte> secret, string name, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (secret.IsEmpty)
            throw new ArgumentException("The shared secret is empty.", nameof(secret));
        if (name.Contains(':', StringComparison.Ordinal))
            throw new ArgumentException("The name may not contain ':', which separates it from the expiry.", nameof(name));
        var expiry = expiresAt.ToUnixTimeSeconds();
        var username = name.Length == 0
            ? expiry.ToString(CultureInfo.InvariantCulture)
            : $"{expiry.ToString(CultureInfo.InvariantCulture)}:{name}";
#pragma warning disable CA5350 // HMAC-SHA1 is what the TURN REST scheme (and coturn) define; it is not our choice.
        var mac = HMACSHA1.HashData(secret, Encoding.UTF8.GetBytes(username));
#pragma warning restore CA5350
        return new TurnCredentials(username, Convert.ToBase64String(mac), DateTimeOffset.FromUnixTimeSeconds(expiry));
    }

    /// <summary>The long-term key for <paramref name="realm"/>: MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="realm"/> is null.</exception>
    public byte[] LongTermKey(string realm) => StunCredentials.LongTermKey(Username, realm, Password);

    /// <summary>
    /// The SHA-256 long-term key for <paramref name="realm"/>: SHA-256(username ":" realm ":" password), for servers that
    /// offer PASSWORD-ALGORITHM SHA-256 (RFC 8489 §18.5.1).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="realm"/> is null.</exception>
    public byte[] LongTermKeySha256(string realm)
    {
        ArgumentNullException.ThrowIfNull(realm);
        return SHA256.HashData(Encoding.UTF8.GetBytes($"{Username}:{realm}:{Password}"));
    }

    /// <summary>The user name only: the password never goes to a log.</summary>
    public override string ToString() => $"TURN user {Username}";
}
