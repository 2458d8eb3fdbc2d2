using System.Security.Cryptography;

namespace SecretChat.Security;

/// <summary>
/// A sealed frame did not authenticate: it was modified, replayed, reordered, truncated, or sealed
/// under another key. The session cannot go on after it.
/// </summary>
public sealed class AuthenticationFailedException : CryptographicException
{
    /// <summary>
    /// Creates the exception; its message says the session was closed because a frame failed authentication.
    /// </summary>
    public AuthenticationFailedException()
        : base("A frame from the peer failed authentication (modified, replayed, reordered or truncated); the session was closed.")
    {
    }
}
