namespace SecretChat.Security.Ciphers;

/// <summary>
/// The pseudo mode's "cipher": copies bytes unchanged and adds no tag. It gives NO confidentiality and
/// NO integrity; anyone on the path can read and rewrite everything. For tests and debugging only.
/// </summary>
public sealed class PlaintextCipherState : CipherState
{
    /// <summary>Zero: no tag is added, so nothing is authenticated.</summary>
    public override int TagSize => 0;

    /// <inheritdoc/>
    protected override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (destination.Length < plaintext.Length)
            throw new ArgumentException("The destination must hold the plaintext.", nameof(destination));
        plaintext.CopyTo(destination);
    }

    /// <inheritdoc/>
    protected override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (destination.Length < ciphertext.Length)
            throw new ArgumentException("The destination must hold the ciphertext.", nameof(destination));
        ciphertext.CopyTo(destination);
        return true;
    }

    /// <summary>Nothing to wipe.</summary>
    public override void Dispose() { }
}
