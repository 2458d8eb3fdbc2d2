using System.Diagnostics;
using System.Security.Cryptography;
using SecretChat.Security.Pairing;
using Xunit.Abstractions;

namespace SecretChat.Security.Tests.Pairing;

public sealed class CodePairingTests(ITestOutputHelper output)
{
    private static readonly byte[] AliceKey = Enumerable.Repeat((byte)0xA1, 32).ToArray();
    private static readonly byte[] BobKey = Enumerable.Repeat((byte)0xB0, 32).ToArray();
    private static readonly byte[] Hash = Enumerable.Repeat((byte)0x33, 32).ToArray();
    private static readonly PairingCode Code = Parse("7-wyoming-zulu");

    [Fact]
    public void Pair_SameCodeSameSession_BothConfirm()
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        var bob = new CodePairing(Code, BobKey, AliceKey, Hash);
        var (a, b) = Run(alice, bob);
        Assert.Equal(PairingProgress.Confirmed, a);
        Assert.Equal(PairingProgress.Confirmed, b);
    }

    [Fact]
    public void Pair_DifferentCodes_BothSeeAMismatch()
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        var bob = new CodePairing(Parse("7-wyoming-willow"), BobKey, AliceKey, Hash);
        var (a, b) = Run(alice, bob);
        Assert.Equal(PairingProgress.Mismatch, a);
        Assert.Equal(PairingProgress.Mismatch, b);
    }

    [Fact]
    public void Pair_ChangedHandshakeHash_BothSeeAMismatch()
    {
        var other = (byte[])Hash.Clone();
        other[^1] ^= 1;
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        var bob = new CodePairing(Code, BobKey, AliceKey, other);
        var (a, b) = Run(alice, bob);
        Assert.Equal(PairingProgress.Mismatch, a);
        Assert.Equal(PairingProgress.Mismatch, b);
    }

    [Fact]
    public void Pair_RelayedThroughTwoSessions_ProofsForAnotherIdentityFail()
    {
        // A man in the middle holds a session with each side (its own keys M1, M2, two hashes) and relays the J-PAKE
        // messages unchanged: the proofs name Alice's and Bob's keys, not the M keys each side expects.
        var m1 = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var m2 = Enumerable.Repeat((byte)0x22, 32).ToArray();
        var hashWithAlice = Enumerable.Repeat((byte)0x44, 32).ToArray();
        var alice = new CodePairing(Code, AliceKey, m1, hashWithAlice);
        var bob = new CodePairing(Code, BobKey, m2, Hash);
        var aliceRound1 = alice.Start();
        _ = bob.Start();
        Assert.Throws<InvalidDataException>(() => bob.Receive(aliceRound1, out _));
    }

    [Fact]
    public void Pair_WrongRoundFirst_Throws()
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        _ = alice.Start();
        var ex = Assert.Throws<InvalidDataException>(() => alice.Receive([CodePairing.Confirmation, .. new byte[32]], out _));
        Assert.Contains("out of order", ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 1, 0xFF, 0xFF, 1 })]
    [InlineData(new byte[] { 1, 0, 1, 5, 0, 1, 5, 0, 1, 5, 0, 1, 5, 0, 1, 5, 0, 1, 5, 9 })]
    public void Receive_MalformedRound1_ThrowsInvalidData(byte[] message)
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        _ = alice.Start();
        Assert.Throws<InvalidDataException>(() => alice.Receive(message, out _));
    }

    [Fact]
    public void Receive_Round1WithNumbersThatAreNotInTheGroup_ThrowsInvalidData()
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        _ = alice.Start();
        byte[] ones = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1];
        Assert.Throws<InvalidDataException>(() => alice.Receive(ones, out _));
    }

    [Fact]
    public void Constructor_SameKeysOrNoHash_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CodePairing(Code, AliceKey, AliceKey, Hash));
        Assert.Throws<ArgumentException>(() => new CodePairing(Code, AliceKey, BobKey, []));
        Assert.Throws<ArgumentException>(() => new CodePairing(Code, [], BobKey, Hash));
    }

    [Fact]
    public void Messages_Sizes_StayWithinTheBound()
    {
        var alice = new CodePairing(Code, AliceKey, BobKey, Hash);
        var bob = new CodePairing(Code, BobKey, AliceKey, Hash);
        var a1 = alice.Start();
        var b1 = bob.Start();
        Assert.InRange(a1.Length, 1, CodePairing.MaxMessageLength);
        alice.Receive(b1, out var a2);
        Assert.InRange(a2!.Length, 1, CodePairing.MaxMessageLength);
        bob.Receive(a1, out var b2);
        alice.Receive(b2!, out var a3);
        Assert.Equal(CodePairing.ConfirmationLength, a3!.Length);
    }

    [Fact]
    public void ConfirmationKey_KnownValue_IsHkdfSha256SaltedWithTheHash()
    {
        // Computed independently (Python hmac/hashlib HKDF): ikm = 383 zero bytes and 0x05, salt = 32 x 0x03.
        var key = CodePairing.ConfirmationKey(Org.BouncyCastle.Math.BigInteger.ValueOf(5), Enumerable.Repeat((byte)3, 32).ToArray());
        Assert.Equal("28f98bb697d553c48fbc6bb848c326e6a10736d13bf394416a0eb51974006b6a", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Tag_KnownValue_CoversBothKeysAndTheHash()
    {
        // Computed independently (Python hmac): key 00..1f over the label and three length-prefixed 32-byte parts.
        var tag = CodePairing.Tag([.. Enumerable.Range(0, 32).Select(i => (byte)i)],
            Enumerable.Repeat((byte)1, 32).ToArray(), Enumerable.Repeat((byte)2, 32).ToArray(), Enumerable.Repeat((byte)3, 32).ToArray());
        Assert.Equal("e2d90d8da23d7b5e5450c619132eb6d1f51d3d6739bd1c6e1d3b5759ca856f60", Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Pair_Timing_IsReported()
    {
        var stopwatch = Stopwatch.StartNew();
        var alice = new CodePairing(Code, AliceKey, BobKey, RandomNumberGenerator.GetBytes(32));
        var bob = new CodePairing(Code, BobKey, AliceKey, Hash);
        _ = Run(alice, bob);
        stopwatch.Stop();
        // Both sides' computation on one thread; a pairing over the network adds three one-way trips.
        output.WriteLine($"J-PAKE over the 3072-bit group, both sides: {stopwatch.Elapsed.TotalMilliseconds:F1} ms");
    }

    private static (PairingProgress Alice, PairingProgress Bob) Run(CodePairing alice, CodePairing bob)
    {
        var a1 = alice.Start();
        var b1 = bob.Start();
        Assert.Equal(PairingProgress.Continue, alice.Receive(b1, out var a2));
        Assert.Equal(PairingProgress.Continue, bob.Receive(a1, out var b2));
        Assert.Equal(PairingProgress.Continue, alice.Receive(b2!, out var a3));
        Assert.Equal(PairingProgress.Continue, bob.Receive(a2!, out var b3));
        var a = alice.Receive(b3!, out var none1);
        var b = bob.Receive(a3!, out var none2);
        Assert.Null(none1);
        Assert.Null(none2);
        return (a, b);
    }

    private static PairingCode Parse(string text) =>
        PairingCode.TryParse(text, out var code, out var problem) ? code : throw new InvalidOperationException(problem);
}
