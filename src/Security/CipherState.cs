namespace SecretChat.Security;

/// <summary>
/// One direction of a session: an AEAD key and its counter nonce (Noise's CipherState).
/// Streams use the implicit counter (<see cref="Seal(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> /
/// <see cref="TryOpen(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>), so a dropped, replayed or
/// reordered frame fails authentication. Datagrams carry the counter explicitly and use the
/// explicit-nonce overloads together with a replay window.
/// </summary>
public abstract class CipherState : IDisposable
{
    /// <summary>The largest nonce ever used: 2^64-1 is reserved (Noise §5.1), so a session ends before it.</summary>
    public const ulong MaxNonce = ulong.MaxValue - 1;

    /// <summary>Bytes that sealing adds to a plaintext (16 for the AEADs here, 0 for pseudo).</summary>
    public abstract int TagSize { get; }

    /// <summary>The nonce the next implicit-counter operation uses.</summary>
    public ulong Nonce { get; private set; }

    /// <summary>Seals with the next counter nonce. <paramref name="destination"/> must hold plaintext + <see cref="TagSize"/> bytes.</summary>
    /// <exception cref="NonceExhaustedException">The counter would pass <see cref="MaxNonce"/>.</exception>
    public void Seal(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var nonce = Nonce;
        if (nonce > MaxNonce)
            throw new NonceExhaustedException();
        SealCore(nonce, associatedData, plaintext, destination);
        Nonce = nonce + 1;
    }

    /// <summary>
    /// Opens with the next counter nonce; the counter advances only when the tag is valid.
    /// <paramref name="destination"/> must hold ciphertext - <see cref="TagSize"/> bytes.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        var nonce = Nonce;
        if (nonce > MaxNonce)
            throw new NonceExhaustedException();
        if (!TryOpenCore(nonce, associatedData, ciphertext, destination))
            return false;
        Nonce = nonce + 1;
        return true;
    }

    /// <summary>Seals with an explicit nonce (datagrams). The caller guarantees the nonce is never reused.</summary>
    /// <exception cref="NonceExhaustedException">The nonce is the reserved 2^64-1.</exception>
    public void Seal(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        // 2^64-1 is reserved (Noise §5.1): refusing it keeps the explicit and implicit paths consistent.
        if (nonce > MaxNonce)
            throw new NonceExhaustedException();
        SealCore(nonce, associatedData, plaintext, destination);
    }

    /// <summary>
    /// Opens with an explicit nonce (datagrams); changes no state. False when the tag is invalid, the input too
    /// short, or the nonce the reserved 2^64-1 (nothing is ever sealed under it).
    /// </summary>
    public bool TryOpen(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination) =>
        nonce <= MaxNonce && TryOpenCore(nonce, associatedData, ciphertext, destination);

    /// <summary>The cipher itself: seal at a nonce the base class has already checked.</summary>
    protected abstract void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination);

    /// <summary>The cipher itself: open at a nonce the base class has already checked; false for a bad tag or short input.</summary>
    protected abstract bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination);

    /// <summary>Wipes the key.</summary>
    public abstract void Dispose();
}

/// <summary>The nonce counter reached its limit; the session must end (nonces never wrap).</summary>
public sealed class NonceExhaustedException : InvalidOperationException
{
    /// <summary>Creates the exception; its message says the session must be re-established.</summary>
    public NonceExhaustedException() : base("The session has used every nonce of its key and must be re-established.") { }
}
