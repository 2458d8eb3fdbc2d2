using SecretChat.Security.Identity;

namespace SecretChat.Security.Tests.Identity;

public sealed class PeerNameTests
{
    [Theory]
    [InlineData("alice\u200B", "it holds an invisible formatting character U+200B")]
    [InlineData("\u202Eecila", "it holds a bidirectional text control U+202E")]
    [InlineData("ali\u2066ce", "it holds a bidirectional text control U+2066")]
    [InlineData("alice\u001B[2J", "it holds a control character U+001B")]
    [InlineData("alice\nbob", "it holds a control character U+000A")]
    [InlineData("alice\u2028bob", "it holds a line or paragraph separator U+2028")]
    [InlineData("alice\u0378", "it holds an unassigned code point U+0378")]
    [InlineData("", "it is empty")]
    [InlineData(" alice", "it begins or ends with white space")]
    [InlineData("alice\u00A0", "it begins or ends with white space")]
    public void TryParse_ForbiddenText_RefusedWithReason(string text, string reason)
    {
        Assert.False(PeerName.TryParse(text, out var name, out var problem));
        Assert.Null(name);
        Assert.Equal(reason, problem);
        var error = Assert.Throws<ArgumentException>(() => PeerName.Parse(text));
        Assert.Contains(reason, error.Message);
        Assert.DoesNotContain('\u001B', error.Message);
        Assert.DoesNotContain('\u200B', error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void TryParse_LoneSurrogate_Refused()
    {
        // Built at run time: an attribute argument cannot hold a lone surrogate.
        var text = "alice" + (char)0xD800;
        Assert.False(PeerName.TryParse(text, out _, out var problem));
        Assert.Equal("it holds a lone surrogate U+D800", problem);
    }

    [Fact]
    public void TryParse_Length_CountsTextElementsUpTo64AndBytesUpTo128()
    {
        Assert.True(PeerName.TryParse(new string('a', 64), out _, out _));
        Assert.False(PeerName.TryParse(new string('a', 65), out _, out var tooLong));
        Assert.Equal("it is 65 characters long, more than 64", tooLong);
        // 40 letters with a combining accent each: 80 UTF-16 units but 40 characters (NFKC composes them to 40 é).
        Assert.True(PeerName.TryParse(string.Concat(Enumerable.Repeat("e\u0301", 40)), out var composed, out _));
        Assert.Equal(new string('é', 40), composed.Value);
        // 43 CJK ideographs are 129 bytes of UTF-8.
        Assert.False(PeerName.TryParse(new string('中', 43), out _, out var tooManyBytes));
        Assert.Equal("it is 129 bytes of UTF-8, more than 128", tooManyBytes);
    }

    [Fact]
    public void Parse_CompatibilityForms_AreNormalizedWithNfkc()
    {
        Assert.Equal("alice", PeerName.Parse("ａｌｉｃｅ").Value); // fullwidth
        Assert.Equal("fin", PeerName.Parse("ﬁn").Value); // ligature
        Assert.Equal("é", PeerName.Parse("e\u0301").Value);
        Assert.Equal("한", PeerName.Parse("\u1112\u1161\u11AB").Value); // conjoining jamo compose
        Assert.Equal("Zoë", PeerName.Parse("Zoë").ToString());
    }

    [Theory]
    [InlineData("Alice")]
    [InlineData("ALICE")]
    [InlineData("\u0430lice")] // Cyrillic а
    [InlineData("a1ice")] // digit one for l
    [InlineData("aIice")] // capital I for l
    [InlineData("ａｌｉｃｅ")]
    [InlineData("\u0251lice")] // Latin alpha
    public void LooksLike_Confusable_SameAsAlice(string impostor)
    {
        var alice = PeerName.Parse("alice");
        Assert.True(PeerName.Parse(impostor).LooksLike(alice));
        Assert.True(alice.LooksLike(PeerName.Parse(impostor)));
    }

    [Fact]
    public void ComparisonKey_RnAndM_AreTheSame()
    {
        Assert.Equal(PeerName.Parse("mallory").ComparisonKey, PeerName.Parse("rnallory").ComparisonKey);
        Assert.Equal(PeerName.Parse("alice").ComparisonKey, PeerName.Parse("\u0410LICE").ComparisonKey);
        Assert.Equal(PeerName.Parse("alice").ComparisonKey, PeerName.Parse("a1ice").ComparisonKey);
    }

    [Theory]
    [InlineData("alice", "bob")]
    [InlineData("alice", "alicia")]
    [InlineData("alice", "malice")]
    [InlineData("anna", "hanna")]
    [InlineData("碧", "碩")]
    public void LooksLike_DistinctNames_Differ(string one, string other)
    {
        Assert.False(PeerName.Parse(one).LooksLike(PeerName.Parse(other)));
        Assert.NotEqual(PeerName.Parse(one).ComparisonKey, PeerName.Parse(other).ComparisonKey);
    }

    [Fact]
    public void Visible_ForbiddenCharacters_ShownAsCodePoints()
    {
        Assert.Equal("'alice<U+200B>'", PeerName.Visible("alice\u200B"));
        Assert.Equal("'<U+001B>[2J<U+0007>'", PeerName.Visible("\u001B[2J\u0007"));
        Assert.EndsWith("…'", PeerName.Visible(new string('x', 100)));
    }

    // Vectors from Unicode's NormalizationTest-17.0.0.txt (source; NFC; NFD; NFKC; NFKD).
    [Theory]
    [InlineData("\u1E0A\u0323", "\u1E0C\u0307", "D\u0323\u0307", "\u1E0C\u0307", "D\u0323\u0307")]
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323", "\u017F\u0323\u0307", "\u1E69", "s\u0323\u0307")]
    [InlineData("\uAC00\u11A8", "\uAC01", "\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("\u0958", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C")]
    [InlineData("a\u0315\u0300\u05AE\u0300b", "\u00E0\u05AE\u0300\u0315b", "a\u05AE\u0300\u0300\u0315b", "\u00E0\u05AE\u0300\u0315b", "a\u05AE\u0300\u0300\u0315b")]
    public void UnicodeNames_NormalizationTestVectors_Match(string source, string nfc, string nfd, string nfkc, string nfkd)
    {
        Assert.Equal(nfc, UnicodeNames.Nfc(source));
        Assert.Equal(nfd, UnicodeNames.Nfd(source));
        Assert.Equal(nfkc, UnicodeNames.Nfkc(source));
        Assert.Equal(nfkd, UnicodeNames.Nfkd(source));
    }
}
