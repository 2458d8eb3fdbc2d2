using SecretChat.Security.Pairing;

namespace SecretChat.Security.Tests.Pairing;

public sealed class PairingCodeTests
{
    [Fact]
    public void WordList_KnownEntries_MatchThePgpWordList()
    {
        Assert.Equal(256, PgpWordList.Even.Count);
        Assert.Equal(256, PgpWordList.Odd.Count);
        Assert.Equal("aardvark", PgpWordList.Even[0x00]);
        Assert.Equal("adroitness", PgpWordList.Odd[0x00]);
        Assert.Equal("algol", PgpWordList.Even[0x09]);
        Assert.Equal("willow", PgpWordList.Even[0xFD]);
        Assert.Equal("wyoming", PgpWordList.Odd[0xFD]);
        Assert.Equal("zulu", PgpWordList.Even[0xFF]);
        Assert.Equal("yucatan", PgpWordList.Odd[0xFF]);
        Assert.Equal(512, PgpWordList.Even.Concat(PgpWordList.Odd).Distinct().Count());
    }

    [Fact]
    public void WordFor_Positions_StartOddThenAlternate()
    {
        Assert.Equal("adroitness", PgpWordList.WordFor(0, 0));
        Assert.Equal("aardvark", PgpWordList.WordFor(0, 1));
        Assert.Equal("adroitness", PgpWordList.WordFor(0, 2));
    }

    [Fact]
    public void TryParse_NameplateAndWordsInAnyCase_ReadsThemLowerCase()
    {
        Assert.True(PairingCode.TryParse("  7-Wyoming-ZULU ", out var code, out var problem), problem);
        Assert.Equal(7, code.Nameplate);
        Assert.Equal(["wyoming", "zulu"], code.Words);
        Assert.Equal("7-wyoming-zulu", code.ToString());
    }

    [Fact]
    public void TryParse_WithoutNameplate_HasNoNameplate()
    {
        Assert.True(PairingCode.TryParse("adroitness-aardvark-yucatan", out var code, out var problem), problem);
        Assert.Null(code.Nameplate);
        Assert.Equal("adroitness-aardvark-yucatan", code.ToString());
    }

    [Fact]
    public void TryParse_Typo_SuggestsTheNearestWord()
    {
        Assert.False(PairingCode.TryParse("7-wyoming-zulo", out _, out var problem));
        Assert.Equal("word 2, 'zulo', is not in the word list: did you mean 'zulu'?", problem);
    }

    [Fact]
    public void TryParse_SwappedWords_SaysTheyAreSwapped()
    {
        Assert.False(PairingCode.TryParse("7-zulu-wyoming", out _, out var problem));
        Assert.Equal("word 1, 'zulu', belongs at the other place (words swapped or one left out?)", problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("7-wyoming")]
    [InlineData("7-wyoming-zulu-")]
    [InlineData("7--zulu")]
    [InlineData("7-wyoming-zulu-wyoming-zulu-wyoming-zulu-wyoming-zulu-wyoming")]
    public void TryParse_WrongShape_Refused(string text)
    {
        Assert.False(PairingCode.TryParse(text, out var code, out var problem));
        Assert.Null(code);
        Assert.StartsWith("a code is a number and 2 to 8 words", problem);
    }

    [Theory]
    [InlineData("0-wyoming-zulu")]
    [InlineData("65536-wyoming-zulu")]
    [InlineData("99999999999-wyoming-zulu")]
    public void TryParse_NameplateOutOfRange_Refused(string text)
    {
        Assert.False(PairingCode.TryParse(text, out _, out var problem));
        Assert.Equal("the number at its start must be between 1 and 65535", problem);
    }

    [Fact]
    public void TryParse_ControlCharactersInAWord_AreNotShownBack()
    {
        Assert.False(PairingCode.TryParse("7-wyo\u001b[2Jming-zulu", out _, out var problem));
        Assert.DoesNotContain('\u001b', problem);
    }

    [Fact]
    public void Generate_DefaultWordCount_ParsesBackEqual()
    {
        for (var i = 0; i < 50; i++)
        {
            var code = PairingCode.Generate(nameplate: 12);
            Assert.Equal(2, code.Words.Count);
            Assert.True(PairingCode.TryParse(code.ToString().ToUpperInvariant(), out var parsed, out var problem), problem);
            Assert.Equal(code, parsed);
            Assert.Contains(code.Words[0], PgpWordList.Odd);
            Assert.Contains(code.Words[1], PgpWordList.Even);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void Generate_WordCountOutOfRange_Throws(int words) =>
        Assert.Equal("wordCount", Assert.Throws<ArgumentOutOfRangeException>(() => PairingCode.Generate(words)).ParamName);

    [Fact]
    public void Generate_WordCount_GivesThatManyWords() => Assert.Equal(5, PairingCode.Generate(5).Words.Count);

    [Fact]
    public void Complete_FirstWordPrefix_OffersOddWordsWithADash()
    {
        Assert.Equal(["7-wyoming-"], PairingCode.Complete("7-wy"));
        Assert.Equal(["7-yesteryear-", "7-yucatan-"], PairingCode.Complete("7-Y"));
    }

    [Fact]
    public void Complete_LastWordPrefix_OffersEvenWordsWithoutADash()
    {
        Assert.Equal(["7-wyoming-zulu"], PairingCode.Complete("7-wyoming-zu"));
        Assert.Equal(["wyoming-zulu"], PairingCode.Complete("wyoming-zu"));
    }

    [Fact]
    public void Complete_MoreWords_KeepsOfferingDashes() =>
        Assert.Equal(["7-wyoming-zulu-"], PairingCode.Complete("7-wyoming-zu", wordCount: 3));

    [Fact]
    public void Complete_NoMatchOrOnlyANumber_OffersNothing()
    {
        Assert.Empty(PairingCode.Complete("7-qqq"));
        Assert.Empty(PairingCode.Complete("7"));
    }
}
