using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace SecretChat.Security.Kem;

/// <summary>
/// ML-KEM-768 (FIPS 203) on BouncyCastle, over our own buffers. A private key is kept only as its 64-byte seed
/// (d ‖ z, FIPS 203 §7.1), which the caller owns and wipes; the expanded key BouncyCastle builds from it lives only
/// for one call. Encapsulation keys are checked (length and FIPS 203 §7.2's modulus check) before use.
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

    /// <summary>Fills <paramref name="seed"/> with a fresh random seed.</summary>
    public static void GenerateSeed(Span<byte> seed)
    {
        CheckSize(seed.Length, SeedSize, nameof(seed));
        RandomNumberGenerator.Fill(seed);
    }

    /// <summary>ML-KEM.KeyGen_internal(d, z): the encapsulation key of the key pair <paramref name="seed"/> names.</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> seed, Span<byte> publicKey)
    {
        CheckSize(seed.Length, SeedSize, nameof(seed));
        CheckSize(publicKey.Length, PublicKeySize, nameof(publicKey));
        var seedCopy = seed.ToArray();
        try
        {
            MLKemPrivateKeyParameters.FromSeed(Parameters, seedCopy).GetPublicKeyEncoded().CopyTo(publicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seedCopy);
        }
    }

    /// <summary>True when <paramref name="publicKey"/> is an ML-KEM-768 encapsulation key: 1,184 bytes whose coefficients are all reduced modulo q (FIPS 203 §7.2).</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
            return false;
        try
        {
            MLKemPublicKeyParameters.FromEncoding(Parameters, publicKey.ToArray());
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
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
        if (publicKey.Length != PublicKeySize)
            return false;
        MLKemPublicKeyParameters key;
        try
        {
            key = MLKemPublicKeyParameters.FromEncoding(Parameters, publicKey.ToArray());
        }
        catch (ArgumentException)
        {
            return false; // FIPS 203 §7.2 modulus check
        }
        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(randomness.IsEmpty ? key : new ParametersWithRandom(key, new FixedRandom(randomness)));
        encapsulator.Encapsulate(ciphertext, sharedSecret);
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
        var seedCopy = seed.ToArray();
        try
        {
            var decapsulator = new MLKemDecapsulator(Parameters);
            decapsulator.Init(MLKemPrivateKeyParameters.FromSeed(Parameters, seedCopy));
            decapsulator.Decapsulate(ciphertext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seedCopy);
        }
    }

    private static void CheckSize(int length, int expected, string name)
    {
        if (length != expected)
            throw new ArgumentException($"ML-KEM-768 wants {expected} bytes here, not {length}.", name);
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
