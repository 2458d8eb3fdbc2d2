using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Security;
using SecretChat.Security.Ciphers;

namespace SecretChat.Benchmarks;

/// <summary>
/// Seal and open one message with each mode's cipher state: AES-256-GCM (rsa), ChaCha20-Poly1305 (noise),
/// plaintext (pseudo). Sealing uses the implicit counter, as a stream does; opening checks one fixed sealed
/// message with its explicit nonce, which changes no state. Baseline: the platform's AES-GCM called directly,
/// so the ratio is the cost of the cipher state around the primitive.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class CipherBenchmarks
{
    private const int TagSize = 16;
    private static readonly byte[] s_key = RandomNumberGenerator.GetBytes(32);

    private readonly byte[] _nonce = new byte[12];
    private AesGcm _rawAes = null!;
    private CipherState _aesGcm = null!;
    private CipherState _chaCha = null!;
    private CipherState _plaintext = null!;
    private byte[] _message = [];
    private byte[] _sealed = [];
    private byte[] _opened = [];
    private byte[] _sealedAes = [];
    private byte[] _sealedChaCha = [];

    [Params(1024, 64 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rawAes = new AesGcm(s_key, TagSize);
        _aesGcm = new AesGcmCipherState(s_key);
        _chaCha = new ChaChaPolyCipherState(s_key);
        _plaintext = new PlaintextCipherState();
        _message = RandomNumberGenerator.GetBytes(MessageSize);
        _sealed = new byte[MessageSize + TagSize];
        _opened = new byte[MessageSize];

        _sealedAes = new byte[MessageSize + TagSize];
        _aesGcm.Seal(0, default, _message, _sealedAes);
        _sealedChaCha = new byte[MessageSize + TagSize];
        _chaCha.Seal(0, default, _message, _sealedChaCha);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawAes.Dispose();
        _aesGcm.Dispose();
        _chaCha.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Seal")]
    public void Seal_RawAesGcm() =>
        _rawAes.Encrypt(_nonce, _message, _sealed.AsSpan(0, MessageSize), _sealed.AsSpan(MessageSize, TagSize));

    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_AesGcm() => _aesGcm.Seal(default, _message, _sealed);

    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_ChaChaPoly() => _chaCha.Seal(default, _message, _sealed);

    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_Plaintext() => _plaintext.Seal(default, _message, _sealed);

    [Benchmark(Baseline = true), BenchmarkCategory("Open")]
    public void Open_RawAesGcm()
    {
        _nonce.AsSpan().Clear();
        _rawAes.Decrypt(_nonce, _sealedAes.AsSpan(0, MessageSize), _sealedAes.AsSpan(MessageSize), _opened);
    }

    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_AesGcm() => Opened(_aesGcm.TryOpen(0, default, _sealedAes, _opened));

    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_ChaChaPoly() => Opened(_chaCha.TryOpen(0, default, _sealedChaCha, _opened));

    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_Plaintext() => Opened(_plaintext.TryOpen(0, default, _message, _opened));

    private static bool Opened(bool opened) =>
        opened ? true : throw new CryptographicException("The prepared message did not authenticate.");
}
