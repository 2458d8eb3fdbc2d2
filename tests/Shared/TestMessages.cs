namespace SecretChat.Tests;

/// <summary>Seeded message mixes for soak tests over lossy links, and an exact comparison of what arrived.</summary>
internal static class TestMessages
{
    /// <summary>Mostly chat-sized messages, a fair number of larger ones, and a few of the largest (64 KiB).</summary>
    public static List<byte[]> Mixed(int count, int seed)
    {
        var random = new Random(seed);
        var messages = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = random.NextDouble();
            var size = kind < 0.90 ? random.Next(0, 300)
                : kind < 0.98 ? random.Next(300, 8 * 1024)
                : kind < 0.995 ? random.Next(8 * 1024, 64 * 1024)
                : 64 * 1024;
            var message = new byte[size];
            random.NextBytes(message);
            messages.Add(message);
        }
        return messages;
    }

    /// <summary>Every message arrived, once, in order, byte for byte.</summary>
    public static void AssertSameSequence(IReadOnlyList<byte[]> expected, IReadOnlyList<byte[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            if (!expected[i].AsSpan().SequenceEqual(actual[i]))
                Assert.Fail($"Message {i} differs: expected {expected[i].Length} bytes, got {actual[i].Length}.");
        }
    }
}
