using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// The ML-KEM-768 calls one hybrid handshake makes, on BouncyCastle directly (our wrapper is internal to the
/// security library and adds only size checks and copies): the initiator's key generation from a seed, the
/// responder's parse of e1 and encapsulation, the initiator's decapsulation with the key kept from key generation.
/// The waste the handshake used to carry has its own rows: decapsulation that expands the seed again, and an
/// encapsulation that lets BouncyCastle seed a new SecureRandom. Baseline: key generation.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class KemBenchmarks
{
    private static readonly MLKemParameters Parameters = MLKemParameters.ml_kem_768;

    private readonly SecureRandom _random = new();
    private readonly byte[] _ciphertext = new byte[1088];
    private readonly byte[] _secret = new byte[32];
    private byte[] _seed = [];
    private byte[] _publicKeyBytes = [];
    private MLKemPrivateKeyParameters _privateKey = null!;
    private MLKemPublicKeyParameters _publicKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _seed = RandomNumberGenerator.GetBytes(64);
        _privateKey = MLKemPrivateKeyParameters.FromSeed(Parameters, _seed);
        _publicKeyBytes = _privateKey.GetPublicKeyEncoded();
        _publicKey = MLKemPublicKeyParameters.FromEncoding(Parameters, _publicKeyBytes);
        Encapsulate();
    }

    [Benchmark(Baseline = true)]
    public byte[] KeyGenerationFromSeed() => MLKemPrivateKeyParameters.FromSeed(Parameters, _seed).GetPublicKeyEncoded();

    [Benchmark]
    public MLKemPublicKeyParameters ParseEncapsulationKey() => MLKemPublicKeyParameters.FromEncoding(Parameters, _publicKeyBytes);

    [Benchmark]
    public void Encapsulate()
    {
        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new ParametersWithRandom(_publicKey, _random));
        encapsulator.Encapsulate(_ciphertext, _secret);
    }

    [Benchmark]
    public void Encapsulate_NewSecureRandomEachCall()
    {
        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(_publicKey);
        encapsulator.Encapsulate(_ciphertext, _secret);
    }

    [Benchmark]
    public void Decapsulate_KeptKey()
    {
        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init(_privateKey);
        decapsulator.Decapsulate(_ciphertext, _secret);
    }

    [Benchmark]
    public void Decapsulate_SeedExpandedAgain()
    {
        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init(MLKemPrivateKeyParameters.FromSeed(Parameters, _seed));
        decapsulator.Decapsulate(_ciphertext, _secret);
    }
}
