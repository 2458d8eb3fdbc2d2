namespace SecretChat.Security.Ciphers;

/// <summary>
/// An AEAD with a caller-supplied nonce, NSec's shape: <see cref="Seal"/> writes ciphertext then tag, and
/// <see cref="TryOpen"/> returns false (never throws) for a bad tag. Both ciphers here implement it, so
/// <see cref="AeadCipherState"/> drives either and the vectors test exactly the code the sessions run.
/// </summary>
internal interface IAead : IDisposable
{
    /// <summary>Bytes the tag adds to a plaintext.</summary>
    int TagSize { get; }

    /// <summary>The exact nonce length.</summary>
    int NonceSize { get; }

    /// <summary>Writes ciphertext then tag into <paramref name="destination"/> (plaintext + <see cref="TagSize"/> bytes at least).</summary>
    void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination);

    /// <summary>
    /// Checks the tag and decrypts <paramref name="ciphertext"/> (ciphertext then tag) into <paramref name="destination"/>
    /// (ciphertext - <see cref="TagSize"/> bytes at least). False, with the destination cleared, when the tag is wrong
    /// or the input shorter than a tag.
    /// </summary>
    bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination);
}
