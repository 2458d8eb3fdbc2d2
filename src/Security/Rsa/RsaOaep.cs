using System.Security.Cryptography;

namespace SecretChat.Security.Rsa;

/// <summary>
/// RSAES-OAEP with SHA-256 and MGF1-SHA-256 and an empty label: the one path the handshake and the
/// Wycheproof vectors share. .NET offers no OAEP label, so only the empty label is supported.
/// </summary>
internal static class RsaOaep
{
    public static readonly RSAEncryptionPadding Padding = RSAEncryptionPadding.OaepSHA256;

    /// <summary>Encrypts <paramref name="message"/>; <paramref name="destination"/> must be exactly the modulus size.</summary>
    public static void Encrypt(RSA publicKey, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var modulusBytes = publicKey.KeySize / 8;
        if (destination.Length != modulusBytes)
            throw new ArgumentException("The destination must be exactly the size of the RSA modulus.", nameof(destination));
        if (!publicKey.TryEncrypt(message, destination, Padding, out var written) || written != modulusBytes)
            throw new CryptographicException("RSA-OAEP encryption produced an unexpected length.");
    }

    /// <summary>
    /// Decrypts; false (with nothing useful in <paramref name="destination"/>) when the ciphertext has the wrong
    /// length or does not decode as OAEP. The caller must not reveal which of the two happened.
    /// </summary>
    public static bool TryDecrypt(RSA privateKey, ReadOnlySpan<byte> ciphertext, Span<byte> destination, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        bytesWritten = 0;
        if (ciphertext.Length != privateKey.KeySize / 8)
            return false;
        try
        {
            if (privateKey.TryDecrypt(ciphertext, destination, Padding, out bytesWritten))
                return true;
        }
        catch (CryptographicException)
        {
        }
        CryptographicOperations.ZeroMemory(destination);
        bytesWritten = 0;
        return false;
    }
}
