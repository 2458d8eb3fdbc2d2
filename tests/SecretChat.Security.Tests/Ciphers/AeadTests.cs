using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Ciphers;

/// <summary>The one AEAD shape both ciphers share: the same argument order, false (not an exception) for a bad tag.</summary>
public sealed class AeadTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly byte[] Ad = "header"u8.ToArray();
    private static readonly byte[] Plaintext = "attack at dawn"u8.ToArray();

    public static TheoryData<string> Ciphers => ["AES-GCM", "AES-GCM (.NET)", "ChaCha20-Poly1305", "ChaCha20-Poly1305 (BouncyCastle)"];

    private static Aead Create(string cipher) => cipher switch
    {
        "AES-GCM" => new AesGcmAead(Key),
        "AES-GCM (.NET)" => new AesGcmAead(Key, forcePlatform: true),
        "ChaCha20-Poly1305" => new ChaCha20Poly1305Aead(Key),
        _ => new ChaCha20Poly1305Aead(Key, forceManaged: true),
    };

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void Aead_SealThenTryOpen_RoundTripsWithTheAssociatedData(string cipher)
    {
        using var aead = Create(cipher);
        var sealedBytes = new byte[Plaintext.Length + Aead.TagSize];
        aead.Seal(Nonce, Ad, Plaintext, sealedBytes);
        var opened = new byte[Plaintext.Length];

        Assert.True(aead.TryOpen(Nonce, Ad, sealedBytes, opened));
        Assert.Equal(Plaintext, opened);
        Assert.False(aead.TryOpen(Nonce, "other"u8, sealedBytes, opened));
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void Aead_TryOpenBadTag_ReturnsFalseAndClearsTheDestination(string cipher)
    {
        using var aead = Create(cipher);
        var sealedBytes = new byte[Plaintext.Length + Aead.TagSize];
        aead.Seal(Nonce, Ad, Plaintext, sealedBytes);
        sealedBytes[^1] ^= 0x80;
        var opened = Enumerable.Repeat((byte)0xAA, Plaintext.Length).ToArray();

        Assert.False(aead.TryOpen(Nonce, Ad, sealedBytes, opened));
        Assert.All(opened, b => Assert.Equal(0, b));
        Assert.False(aead.TryOpen(Nonce, Ad, sealedBytes.AsSpan(0, Aead.TagSize - 1), opened));
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void Aead_WrongNonceLength_ThrowsNamingTheNonce(string cipher)
    {
        using var aead = Create(cipher);
        Assert.Equal(12, Aead.NonceSize);
        var e = Assert.Throws<ArgumentException>(() => aead.Seal(new byte[8], Ad, Plaintext, new byte[Plaintext.Length + 16]));
        Assert.Equal("nonce", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void Aead_UseAfterDispose_ThrowsObjectDisposed(string cipher)
    {
        var aead = Create(cipher);
        aead.Dispose();
        Assert.Throws<ObjectDisposedException>(() => aead.Seal(Nonce, Ad, Plaintext, new byte[Plaintext.Length + 16]));
        Assert.Throws<ObjectDisposedException>(() => aead.TryOpen(Nonce, Ad, new byte[32], new byte[16]));
    }
}
