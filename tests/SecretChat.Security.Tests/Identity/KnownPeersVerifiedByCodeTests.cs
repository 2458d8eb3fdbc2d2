using SecretChat.Security.Identity;

namespace SecretChat.Security.Tests.Identity;

/// <summary>How a contact was verified: by safety number or by a code pairing, kept in the version-2 file.</summary>
public sealed class KnownPeersVerifiedByCodeTests
{
    private static readonly byte[] BobKey = Enumerable.Repeat((byte)0xB0, 32).ToArray();
    private static readonly byte[] OtherKey = Enumerable.Repeat((byte)0x0E, 32).ToArray();

    [Fact]
    public void PinVerifiedByCode_NewKey_IsPinnedVerifiedByCodeAndSurvivesAReload()
    {
        using var temp = new TempDirectory();
        var path = temp.File("known_peers.json");
        var (name, replaced) = KnownPeers.Load(path).PinVerifiedByCode(PeerName.Parse("bob"), BobKey);
        Assert.Equal("bob", name.Value);
        Assert.False(replaced);
        var contact = Assert.Single(KnownPeers.Load(path).Contacts);
        Assert.True(contact.IsVerified);
        Assert.Equal(PeerVerification.Code, contact.VerifiedBy);
        Assert.Contains("\"verified_by\": \"code\"", File.ReadAllText(path));
    }

    [Fact]
    public void PinVerifiedByCode_KnownKeyUnderAnotherName_KeepsThePinnedName()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("bobby", BobKey);
        var (name, replaced) = peers.PinVerifiedByCode(PeerName.Parse("bob"), BobKey);
        Assert.Equal("bobby", name.Value);
        Assert.False(replaced);
        Assert.Equal(PeerVerification.Code, Assert.Single(peers.Contacts).VerifiedBy);
    }

    [Fact]
    public void PinVerifiedByCode_NewKeyUnderAContactsName_ReplacesItsKey()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.Pin("bob", OtherKey);
        var (_, replaced) = peers.PinVerifiedByCode(PeerName.Parse("bob"), BobKey);
        Assert.True(replaced);
        var contact = Assert.Single(peers.Contacts);
        Assert.Equal(BobKey, contact.Key.ToArray());
        Assert.Equal(PeerVerification.Code, contact.VerifiedBy);
    }

    [Fact]
    public void Replace_ContactVerifiedByCode_ResetsItAndSafetyNumberVerificationIsNotCode()
    {
        using var temp = new TempDirectory();
        var peers = KnownPeers.Load(temp.File("known_peers.json"));
        peers.PinVerifiedByCode(PeerName.Parse("bob"), BobKey);
        peers.Replace("bob", OtherKey);
        Assert.Equal(PeerVerification.None, Assert.Single(peers.Contacts).VerifiedBy);
        peers.MarkVerified(OtherKey);
        Assert.Equal(PeerVerification.SafetyNumber, Assert.Single(peers.Contacts).VerifiedBy);
        Assert.DoesNotContain("verified_by", File.ReadAllText(peers.FilePath));
    }

    [Fact]
    public void Load_FileWithoutVerifiedBy_ReadsVerifiedAsSafetyNumber()
    {
        using var temp = new TempDirectory();
        var path = temp.WriteFile("known_peers.json",
            $$"""{"version":2,"contacts":[{"key":"{{Convert.ToBase64String(BobKey)}}","name":"bob","verified":true,"added":"2026-11-30T18:00:00Z"}]}""");
        Assert.Equal(PeerVerification.SafetyNumber, Assert.Single(KnownPeers.Load(path).Contacts).VerifiedBy);
    }

    [Theory]
    [InlineData("\"verified_by\":\"telepathy\"")]
    [InlineData("\"verified_by\":1")]
    public void Load_UnknownVerifiedBy_IsMalformed(string field)
    {
        using var temp = new TempDirectory();
        var path = temp.WriteFile("known_peers.json",
            $$"""{"version":2,"contacts":[{"key":"{{Convert.ToBase64String(BobKey)}}","name":"bob","verified":true,{{field}}}]}""");
        var error = Assert.Throws<IdentityException>(() => KnownPeers.Load(path));
        Assert.Contains("verified_by", error.Message);
    }
}
