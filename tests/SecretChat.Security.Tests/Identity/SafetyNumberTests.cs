using System.Text.Json;
using SecretChat.Security.Identity;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Identity;

public sealed class SafetyNumberTests
{
    [Fact]
    public void Compute_SignalKnownAnswerVector_Matches()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Vector("fingerprint", "signal_safety_number.json")));
        var ran = 0;
        foreach (var vector in document.RootElement.GetProperty("vectors").EnumerateArray())
        {
            var aliceKey = Convert.FromHexString(vector.GetProperty("alice_identity_key").GetString()!);
            var bobKey = Convert.FromHexString(vector.GetProperty("bob_identity_key").GetString()!);
            var aliceId = System.Text.Encoding.UTF8.GetBytes(vector.GetProperty("alice_stable_id").GetString()!);
            var bobId = System.Text.Encoding.UTF8.GetBytes(vector.GetProperty("bob_stable_id").GetString()!);
            Assert.Equal(SafetyNumber.Iterations, vector.GetProperty("iterations").GetInt32());

            Assert.Equal(vector.GetProperty("alice_fingerprint_first32").GetString(),
                Convert.ToHexStringLower(SafetyNumber.IteratedHash(aliceId, aliceKey).AsSpan(0, 32)));
            Assert.Equal(vector.GetProperty("bob_fingerprint_first32").GetString(),
                Convert.ToHexStringLower(SafetyNumber.IteratedHash(bobId, bobKey).AsSpan(0, 32)));

            var expected = vector.GetProperty("displayable_safety_number").GetString();
            var aliceView = SafetyNumber.Compute(aliceId, aliceKey, bobId, bobKey);
            var bobView = SafetyNumber.Compute(bobId, bobKey, aliceId, aliceKey);
            Assert.Equal(expected, aliceView.Digits);
            Assert.Equal(expected, bobView.Digits);
            // The same keys without Signal's 0x05 prefix give the same number.
            Assert.Equal(expected, SafetyNumber.Compute(aliceId, aliceKey.AsSpan(1), bobId, bobKey.AsSpan(1)).Digits);
            ran++;
        }
        Assert.Equal(1, ran);
    }

    [Fact]
    public void ToString_AnyNumber_IsTwelveGroupsOfFive()
    {
        var number = SafetyNumber.ForSession(Key(1), Key(2));
        var text = number.ToString();
        var groups = text.Split(' ');
        Assert.Equal(12, groups.Length);
        Assert.All(groups, g => Assert.Matches("^[0-9]{5}$", g));
        Assert.Equal(number.Digits, string.Concat(groups));
        Assert.True(number.Matches(text));
        Assert.True(number.Matches(number.Digits));
        Assert.False(number.Matches(text[..^1] + (text[^1] == '0' ? '1' : '0')));
        Assert.False(number.Matches("abc"));
    }

    [Fact]
    public void ForSession_BothSides_SameNumber_DifferentKeys_DifferentNumber()
    {
        Assert.Equal(SafetyNumber.ForSession(Key(1), Key(2)), SafetyNumber.ForSession(Key(2), Key(1)));
        Assert.NotEqual(SafetyNumber.ForSession(Key(1), Key(2)), SafetyNumber.ForSession(Key(1), Key(3)));
    }

    [Fact]
    public void Compute_BadKeyLength_ThrowsWithParameterName()
    {
        var e = Assert.Throws<ArgumentException>(() => SafetyNumber.Compute([], new byte[31], [], Key(1)));
        Assert.Equal("localKey", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => SafetyNumber.Compute([], Key(1), [], new byte[33]));
        Assert.Equal("remoteKey", e.ParamName);
    }

    private static byte[] Key(byte seed) => Enumerable.Range(0, 32).Select(i => (byte)(i * seed + seed)).ToArray();
}
