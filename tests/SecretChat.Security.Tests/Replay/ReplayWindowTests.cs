using System.Text.Json;
using SecretChat.Security.Replay;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Replay;

public class ReplayWindowTests
{
    private const ulong R = ReplayWindow.DefaultRejectLimit;

    private static JsonElement Vectors { get; } =
        JsonDocument.Parse(File.ReadAllText(TestPaths.Vector("replay", "wireguard_replay_sequence.json"))).RootElement;

    public static TheoryData<int> WindowSizes => new() { 63, 64, 100, 1984, 2048, 8128 };

    [Theory]
    [MemberData(nameof(WindowSizes))]
    public void TryMark_WireGuardSequence_MatchesEveryStep(int w)
    {
        var window = new ReplayWindow(w);
        var tLim = (ulong)w + 1;
        foreach (var step in Vectors.GetProperty("sequence").EnumerateArray())
        {
            var counter = unchecked((ulong)step.GetProperty("a").GetInt64() * tLim
                + (ulong)step.GetProperty("b").GetInt64() * R
                + (ulong)step.GetProperty("c").GetInt64());
            var expected = step.GetProperty("expected").GetBoolean();
            Assert.True(expected == window.TryCheck(counter), $"check, step {step.GetProperty("step")} ({step.GetProperty("expr")})");
            Assert.True(expected == window.TryMark(counter), $"mark, step {step.GetProperty("step")} ({step.GetProperty("expr")})");
        }
    }

    [Theory]
    [MemberData(nameof(WindowSizes))]
    public void TryMark_WireGuardBulkTests_MatchEveryStep(int w)
    {
        var u = (ulong)w;
        // The bulk formulas of the vector file, spelled out: (first, last) of each loop, then single counters.
        var bulk = new Dictionary<string, (ulong From, ulong To, (ulong Counter, bool Expected)[] Then)>
        {
            ["bulk1"] = (1, u, [(0, true), (0, false)]),
            ["bulk2"] = (2, u + 1, [(1, true), (0, false)]),
            ["bulk3"] = (u + 1, 1, []),
            ["bulk4"] = (u + 2, 2, [(0, false)]),
            ["bulk5"] = (u, 1, [(u + 1, true), (0, false)]),
            ["bulk6"] = (u, 1, [(0, true), (u + 1, true)]),
        };
        foreach (var test in Vectors.GetProperty("bulk").EnumerateArray())
        {
            var name = test.GetProperty("name").GetString()!;
            var (from, to, then) = bulk[name];
            var steps = test.GetProperty("steps").EnumerateArray().ToArray();
            Assert.Equal(then.Length + 1, steps.Length);
            Assert.True(steps[0].GetProperty("expected").GetBoolean());
            var window = new ReplayWindow(w);
            var stepBy = from <= to ? 1L : -1L;
            for (var i = from; ; i = (ulong)((long)i + stepBy))
            {
                Assert.True(window.TryMark(i), $"{name}: {i}");
                if (i == to)
                    break;
            }
            for (var k = 0; k < then.Length; k++)
            {
                var expected = steps[k + 1].GetProperty("expected").GetBoolean();
                Assert.Equal(then[k].Expected, expected); // the transcription above matches the file
                Assert.True(expected == window.TryMark(then[k].Counter), $"{name}: {then[k].Counter}");
            }
        }
    }

    [Fact]
    public void Check_AnyCounter_ChangesNothing()
    {
        var window = new ReplayWindow();
        Assert.Equal(ReplayVerdict.Fresh, window.Check(5));
        Assert.Equal(ReplayVerdict.Fresh, window.Check(5));
        Assert.Equal(0UL, window.Highest);
        Assert.True(window.TryMark(5));
        Assert.Equal(ReplayVerdict.Replayed, window.Check(5));
        Assert.Equal(5UL, window.Highest);
    }

    [Fact]
    public void Check_OlderThanWindow_IsTooOld()
    {
        var window = new ReplayWindow(2048);
        Assert.True(window.TryMark(10_000));
        Assert.Equal(ReplayVerdict.Fresh, window.Check(10_000 - 2048));
        Assert.Equal(ReplayVerdict.TooOld, window.Check(10_000 - 2049));
        Assert.False(window.TryMark(10_000 - 2049));
        Assert.True(window.TryMark(10_000 - 2048));
    }

    [Fact]
    public void TryMark_FarAheadJump_ForgetsTheOldRingAndAcceptsOnlyInsideTheNewWindow()
    {
        var window = new ReplayWindow();
        for (ulong i = 0; i < 300; i++)
            Assert.True(window.TryMark(i));
        Assert.True(window.TryMark(1UL << 40));
        Assert.Equal(ReplayVerdict.TooOld, window.Check(299));
        // Counters whose ring slots held old bits are fresh again inside the new window.
        for (ulong i = (1UL << 40) - 300; i < 1UL << 40; i++)
            Assert.True(window.TryMark(i), $"{i}");
        Assert.False(window.TryMark(1UL << 40));
    }

    [Fact]
    public void TryMark_CounterLimits_RefusesFromTheRejectLimitOn()
    {
        var window = new ReplayWindow(2048, rejectLimit: 100);
        Assert.Equal(ReplayVerdict.BeyondLimit, window.Check(100));
        Assert.False(window.TryMark(100));
        Assert.False(window.TryMark(ulong.MaxValue));
        Assert.True(window.TryMark(99));
        Assert.Equal(ReplayVerdict.BeyondLimit, new ReplayWindow().Check(ulong.MaxValue));
        Assert.True(new ReplayWindow().TryMark(ReplayWindow.DefaultRejectLimit - 1));
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(100, 2)]
    [InlineData(2048, 3)]
    [InlineData(8128, 4)]
    public void TryMark_RandomTraffic_AgreesWithAnExactSetModel(int w, int seed)
    {
        var random = new Random(seed);
        var window = new ReplayWindow(w);
        var seen = new HashSet<ulong>();
        ulong last = 0;
        ulong top = 0;
        for (var i = 0; i < 50_000; i++)
        {
            top += (ulong)random.Next(0, 4);
            if (random.Next(200) == 0)
                top += (ulong)random.Next(w, 4 * w);
            var back = (ulong)random.Next(0, w + 64);
            var counter = top > back ? top - back : 0;
            var expected = !seen.Contains(counter) && (counter > last || last - counter <= (ulong)w);
            Assert.Equal(expected, window.TryCheck(counter));
            Assert.Equal(expected, window.TryMark(counter));
            if (expected)
            {
                seen.Add(counter);
                last = Math.Max(last, counter);
            }
        }
    }

    [Fact]
    public void Reset_AfterTraffic_AcceptsEverythingAgain()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryMark(7));
        window.Reset();
        Assert.True(window.TryMark(7));
        Assert.Equal(7UL, window.Highest);
    }

    [Fact]
    public void Constructor_ArgumentChecking()
    {
        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(0)).ParamName);
        Assert.Equal("rejectLimit", Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(64, 0)).ParamName);
        Assert.Equal(ReplayWindow.DefaultSize, new ReplayWindow().Size);
    }
}
