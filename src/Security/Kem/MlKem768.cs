using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace SecretChat.Security.Kem;

/// <summary>
/// ML-KEM-768 (FIPS 203) on BouncyCastle, over our own buffers. A private key's 64-byte seed (d ‖ z, FIPS 203 §7.1)
/// is the caller's to own and wipe. The handshake expands it once, into an <see cref="MlKem768PrivateKey"/> that it
/// keeps from e1 to its one decapsulation; the static calls that take a seed expand it for that one call.
/// Encapsulation keys are checked (length and FIPS 203 §7.2's modulus check) before use, once: a parsed
/// <see cref="MlKem768PublicKey"/> is encapsulated to without parsing it again.
/// </summary>
internal static class MlKem768
{
    /// <summary>The seed a key pair is derived from (d ‖ z).</summary>
    public const int SeedSize = 64;

    /// <summary>An encapsulation (public) key.</summary>
    public const int PublicKeySize = 1184;

    /// <summary>A ciphertext.</summary>
    public const int CiphertextSize = 1088;

    /// <summary>The shared secret.</summary>
    public const int SharedSecretSize = 32;

    /// <summary>The randomness m of one encapsulation.</summary>
    public const int EncapsulationRandomnessSize = 32;

    private static MLKemParameters Parameters => MLKemParameters.ml_kem_768;

    /// <summary>
    /// One generator for every encapsulation's m: the operating system's, through <see cref="RandomNumberGenerator"/>,
    /// which is thread-safe. BouncyCastle's default builds and seeds a new SecureRandom per call.
    /// </summary>
    private static readonly SecureRandom s_random = new SystemRandom();

    /// <summary>
    /// ML-KEM.KeyGen_internal(d, z) once: the key pair <paramref name="seed"/> names, its encapsulation key written to
    /// <paramref name="publicKey"/>, its private key kept for one <see cref="MlKem768PrivateKey.Decapsulate"/>.
    /// </summary>
    public static MlKem768PrivateKey CreatePrivateKey(ReadOnlySpan<byte> seed, Span<byte> publicKey)
    {
        CheckSize(seed.Length, SeedSize, nameof(seed));
        CheckSize(publicKey.Length, PublicKeySize, nameof(publicKey));
        var seedCopy = seed.ToArray();
        try
        {
            var key = MLKemPrivateKeyParameters.FromSeed(Parameters, seedCopy);
            key.GetPublicKeyEncoded().CopyTo(publicKey);
            return new MlKem768PrivateKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seedCopy);
        }
    }

    /// <summary>
    /// Parses an encapsulation key once: null when it is not a valid ML-KEM-768 encapsulation key (wrong length, or a
    /// coefficient not reduced modulo q, FIPS 203 §7.2).
    /// </summary>
    public static MlKem768PublicKey? TryParsePublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
            return null;
        try
        {
            return new MlKem768PublicKey(MLKemPublicKeyParameters.FromEncoding(Parameters, publicKey.ToArray()));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// ML-KEM.Encaps to a key <see cref="TryParsePublicKey"/> accepted. <paramref name="randomness"/> fixes m (test
    /// vectors only); empty draws a fresh one.
    /// </summary>
    public static void Encapsulate(MlKem768PublicKey publicKey, Span<byte> ciphertext, Span<byte> sharedSecret, ReadOnlySpan<byte> randomness = default)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        CheckSize(ciphertext.Length, CiphertextSize, nameof(ciphertext));
        CheckSize(sharedSecret.Length, SharedSecretSize, nameof(sharedSecret));
        if (!randomness.IsEmpty)
            CheckSize(randomness.Length, EncapsulationRandomnessSize, nameof(randomness));
        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new ParametersWithRandom(publicKey.Key, randomness.IsEmpty ? s_random : new FixedRandom(randomness)));
        encapsulator.Encapsulate(ciphertext, sharedSecret);
    }

    /// <summary>Fills <paramref name="seed"/> with a fresh random seed.</summary>
    public static void GenerateSeed(Span<byte> seed)
    {
        CheckSize(seed.Length, SeedSize, nameof(seed));
        RandomNumberGenerator.Fill(seed);
    }

    /// <summary>ML-KEM.KeyGen_internal(d, z): the encapsulation key of the key pair <paramref name="seed"/> names.</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> seed, Span<byte> publicKey)
    {
        using var _ = CreatePrivateKey(seed, publicKey);
    }

    /// <summary>True when <paramref name="publicKey"/> is an ML-KEM-768 encapsulation key: 1,184 bytes whose coefficients are all reduced modulo q (FIPS 203 §7.2).</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        return TryParsePublicKey(publicKey) is not null;
    }

    /// <summary>
    /// ML-KEM.Encaps to <paramref name="publicKey"/>. False, with nothing written, when the key is not a valid
    /// ML-KEM-768 encapsulation key (wrong length, or a coefficient not reduced modulo q). <paramref name="randomness"/>
    /// fixes m (test vectors only); empty draws a fresh one.
    /// </summary>
    public static bool TryEncapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret, ReadOnlySpan<byte> randomness = default)
    {
        CheckSize(ciphertext.Length, CiphertextSize, nameof(ciphertext));
        CheckSize(sharedSecret.Length, SharedSecretSize, nameof(sharedSecret));
        if (!randomness.IsEmpty)
            CheckSize(randomness.Length, EncapsulationRandomnessSize, nameof(randomness));
        var key = TryParsePublicKey(publicKey);
        if (key is null)
            return false;
        Encapsulate(key, ciphertext, sharedSecret, randomness);
        return true;
    }

    /// <summary>
    /// ML-KEM.Decaps with the key pair <paramref name="seed"/> names. A ciphertext of the right length always yields a
    /// secret: a forged or damaged one yields the implicit-rejection secret (FIPS 203 §6.3), which the peer cannot
    /// know, so the handshake fails at the next authentication tag.
    /// </summary>
    public static void Decapsulate(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        CheckSize(seed.Length, SeedSize, nameof(seed));
        CheckSize(ciphertext.Length, CiphertextSize, nameof(ciphertext));
        CheckSize(sharedSecret.Length, SharedSecretSize, nameof(sharedSecret));
        // The handshake's own path (expand once, decapsulate once), so the vectors check what the handshake runs.
        using var key = CreatePrivateKey(seed, new byte[PublicKeySize]);
        key.Decapsulate(ciphertext, sharedSecret);
    }

    internal static void CheckSize(int length, int expected, string name)
    {
        if (length != expected)
            throw new ArgumentException($"ML-KEM-768 wants {expected} bytes here, not {length}.", name);
    }

    /// <summary>m straight from <see cref="RandomNumberGenerator"/> (BouncyCastle draws it with NextBytes).</summary>
    private sealed class SystemRandom : SecureRandom
    {
        public override void NextBytes(byte[] buf) => RandomNumberGenerator.Fill(buf);

        public override void NextBytes(byte[] buf, int off, int len) => RandomNumberGenerator.Fill(buf.AsSpan(off, len));

        public override void NextBytes(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);
    }

    /// <summary>Hands out a fixed m (test vectors): BouncyCastle draws exactly 32 bytes per encapsulation.</summary>
    private sealed class FixedRandom(ReadOnlySpan<byte> bytes) : SecureRandom
    {
        private readonly byte[] _bytes = bytes.ToArray();

        public override void NextBytes(byte[] buf) => NextBytes(buf.AsSpan());

        public override void NextBytes(byte[] buf, int off, int len) => NextBytes(buf.AsSpan(off, len));

        public override void NextBytes(Span<byte> buffer)
        {
            if (buffer.Length != _bytes.Length)
                throw new InvalidOperationException("The fixed ML-KEM randomness is drawn once, whole.");
            _bytes.CopyTo(buffer);
        }
    }
}

/// <summary>An ML-KEM-768 encapsulation key that passed FIPS 203 §7.2's checks (<see cref="MlKem768.TryParsePublicKey"/>).</summary>
internal sealed class MlKem768PublicKey
{
    internal MlKem768PublicKey(MLKemPublicKeyParameters key) => Key = key;

    internal MLKemPublicKeyParameters Key { get; }
}

/// <summary>
/// An expanded ML-KEM-768 private key for exactly one decapsulation (<see cref="MlKem768.CreatePrivateKey"/>), so the
/// handshake does not expand its seed a second time. After <see cref="Decapsulate"/> or <see cref="Dispose"/> it
/// holds nothing. What it cannot do: wipe the expanded key itself. BouncyCastle keeps s, t, ρ, H(ek), z and a copy of
/// the seed in managed arrays of its own and offers no way to clear them; once dropped here they are unreachable and
/// wait for the garbage collector, in memory only, as they did when each call expanded the seed for itself.
/// </summary>
internal sealed class MlKem768PrivateKey : IDisposable
{
    private MLKemPrivateKeyParameters? _key;

    internal MlKem768PrivateKey(MLKemPrivateKeyParameters key) => _key = key;

    /// <summary>True until the key was used or disposed.</summary>
    public bool IsAlive => _key is not null;

    /// <summary>
    /// ML-KEM.Decaps, once: a ciphertext of the right length always yields a secret (a forged one the implicit-rejection
    /// secret, FIPS 203 §6.3). The key is dropped afterwards, whatever happened.
    /// </summary>
    public void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        MlKem768.CheckSize(ciphertext.Length, MlKem768.CiphertextSize, nameof(ciphertext));
        MlKem768.CheckSize(sharedSecret.Length, MlKem768.SharedSecretSize, nameof(sharedSecret));
        var key = _key ?? throw new InvalidOperationException("This ML-KEM key was used or disposed already: it serves one decapsulation.");
        _key = null;
        var decapsulator = new MLKemDecapsulator(MLKemParameters.ml_kem_768);
        decapsulator.Init(key);
        decapsulator.Decapsulate(ciphertext, sharedSecret);
    }

    /// <summary>Drops the key (see the class remarks for what that does and does not clear).</summary>
    public void Dispose() => _key = null;
}
