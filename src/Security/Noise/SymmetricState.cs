using System.Security.Cryptography;
using System.Text;
using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Noise;

/// <summary>Makes a Noise cipher from a 32-byte key (ChaChaPoly, or AESGCM for the test vectors).</summary>
public delegate CipherState NoiseCipherFactory(ReadOnlySpan<byte> key);

/// <summary>
/// Noise's SymmetricState (rev 34, §5.2) with SHA-256: the chaining key, the handshake hash and the
/// current handshake cipher. Hash-specific constants are fixed because SHA-256 is the only hash here.
/// </summary>
internal sealed class SymmetricState : IDisposable
{
    public const int HashLength = 32;

    private readonly NoiseCipherFactory _cipherFactory;
    // Pinned so the GC never leaves an unwiped copy behind; wiped on Dispose.
    private readonly byte[] _chainingKey = GC.AllocateArray<byte>(HashLength, pinned: true);
    private readonly byte[] _hash = new byte[HashLength];
    private readonly IncrementalHash _hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private CipherState? _cipher;

    public SymmetricState(string protocolName, NoiseCipherFactory cipherFactory)
    {
        _cipherFactory = cipherFactory;
        var name = Encoding.ASCII.GetBytes(protocolName);
        // §5.2 InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded, a longer one hashed.
        if (name.Length <= HashLength)
            name.CopyTo(_hash, 0);
        else
            SHA256.HashData(name, _hash);
        _hash.CopyTo(_chainingKey, 0);
    }

    public bool HasKey => _cipher is not null;

    public ReadOnlySpan<byte> HandshakeHash => _hash;

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> tempKey = stackalloc byte[HashLength];
        Hkdf(_chainingKey, inputKeyMaterial, _chainingKey, tempKey);
        _cipher?.Dispose();
        _cipher = _cipherFactory(tempKey);
        CryptographicOperations.ZeroMemory(tempKey);
    }

    public void MixHash(ReadOnlySpan<byte> data)
    {
        _hasher.AppendData(_hash);
        _hasher.AppendData(data);
        _hasher.GetHashAndReset(_hash);
    }

    /// <summary>Bytes that <see cref="EncryptAndHash"/> adds to a plaintext now.</summary>
    public int Overhead => _cipher?.TagSize ?? 0;

    /// <summary>Writes plaintext.Length + <see cref="Overhead"/> bytes and returns that count.</summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var length = plaintext.Length + Overhead;
        var output = destination[..length];
        if (_cipher is null)
            plaintext.CopyTo(output);
        else
            _cipher.Seal(_hash, plaintext, output);
        MixHash(output);
        return length;
    }

    /// <summary>False when the tag is invalid; the state must then be abandoned.</summary>
    public bool DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (_cipher is null)
            ciphertext.CopyTo(destination);
        else if (!_cipher.TryOpen(_hash, ciphertext, destination))
            return false;
        MixHash(ciphertext);
        return true;
    }

    /// <summary>§5.2 Split: the initiator-to-responder cipher first, then responder-to-initiator.</summary>
    public (CipherState First, CipherState Second) Split()
    {
        Span<byte> key1 = stackalloc byte[HashLength];
        Span<byte> key2 = stackalloc byte[HashLength];
        try
        {
            Hkdf(_chainingKey, [], key1, key2);
            return (_cipherFactory(key1), _cipherFactory(key2));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key1);
            CryptographicOperations.ZeroMemory(key2);
            // The handshake is over: only the handshake hash is still needed (channel binding).
            CryptographicOperations.ZeroMemory(_chainingKey);
            _cipher?.Dispose();
            _cipher = null;
        }
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        _cipher = null;
        CryptographicOperations.ZeroMemory(_chainingKey);
        _hasher.Dispose();
    }

    /// <summary>
    /// §4.3 HKDF(ck, ikm) with two outputs: HKDF-Extract with the chaining key as salt, then HKDF-Expand with an
    /// empty info to 64 bytes (RFC 5869's T(1) = HMAC(temp, 0x01), T(2) = HMAC(temp, T(1) || 0x02) is exactly
    /// Noise's output1, output2). <paramref name="output1"/> may alias <paramref name="chainingKey"/>.
    /// </summary>
    internal static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output1, Span<byte> output2)
    {
        Span<byte> tempKey = stackalloc byte[HkdfSha256.HashSize];
        Span<byte> outputs = stackalloc byte[2 * HashLength];
        try
        {
            HkdfSha256.Extract(inputKeyMaterial, salt: chainingKey, tempKey);
            HkdfSha256.Expand(tempKey, info: [], outputs);
            outputs[..HashLength].CopyTo(output1);
            outputs[HashLength..].CopyTo(output2);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempKey);
            CryptographicOperations.ZeroMemory(outputs);
        }
    }
}
