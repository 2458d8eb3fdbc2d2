using Microsoft.Reactive.Testing;
using SecretChat.Cli.Interaction;

namespace SecretChat.App.Tests.Interaction;

public class WaitingProgressTests
{
    private sealed class Recorder : IProgress<string>
    {
        public List<(long At, string Text)> Lines { get; } = [];

        public TestScheduler? Clock { get; init; }

        public void Report(string value) => Lines.Add((Clock!.Clock, value));
    }

    private static long Seconds(double s) => TimeSpan.FromSeconds(s).Ticks;

    [Fact]
    public void ForTerminal_WhileWaiting_ShowsTheElapsedTimeEverySecond()
    {
        var scheduler = new TestScheduler();
        var lines = new Recorder { Clock = scheduler };
        using var waiting = WaitingProgress.ForTerminal(lines, scheduler);

        waiting.Report("waiting for the peer to join room 'blue-otter'");
        scheduler.AdvanceTo(Seconds(3));

        Assert.Equal(
            [
                (0, "waiting for the peer to join room 'blue-otter'"),
                (Seconds(1), "waiting for the peer to join room 'blue-otter' (1 s)"),
                (Seconds(2), "waiting for the peer to join room 'blue-otter' (2 s)"),
                (Seconds(3), "waiting for the peer to join room 'blue-otter' (3 s)"),
            ],
            lines.Lines);
    }

    [Fact]
    public void ForScript_LongWait_RepeatsLessAndLessOftenUpToAMinute()
    {
        var scheduler = new TestScheduler();
        var lines = new Recorder { Clock = scheduler };
        using var waiting = WaitingProgress.ForScript(lines, scheduler);

        waiting.Report("connecting to 127.0.0.1:5000 over udp");
        scheduler.AdvanceTo(Seconds(200));

        Assert.Equal(
            [0, Seconds(5), Seconds(15), Seconds(35), Seconds(75), Seconds(135), Seconds(195)],
            lines.Lines.Select(l => l.At));
        Assert.Equal("connecting to 127.0.0.1:5000 over udp (3 min 15 s)", lines.Lines[^1].Text);
    }

    [Fact]
    public void Report_NewStatus_RestartsTheClock()
    {
        var scheduler = new TestScheduler();
        var lines = new Recorder { Clock = scheduler };
        using var waiting = WaitingProgress.ForTerminal(lines, scheduler);

        waiting.Report("registering");
        scheduler.AdvanceTo(Seconds(2.5));
        waiting.Report("waiting for the peer");
        scheduler.AdvanceTo(Seconds(4));

        Assert.Equal(
            ["registering", "registering (1 s)", "registering (2 s)", "waiting for the peer", "waiting for the peer (1 s)"],
            lines.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Dispose_StopsTheRepeats()
    {
        var scheduler = new TestScheduler();
        var lines = new Recorder { Clock = scheduler };
        var waiting = WaitingProgress.ForTerminal(lines, scheduler);

        waiting.Report("connecting");
        scheduler.AdvanceTo(Seconds(1));
        waiting.Dispose();
        scheduler.AdvanceTo(Seconds(60));
        waiting.Report("late");

        Assert.Equal(["connecting", "connecting (1 s)"], lines.Lines.Select(l => l.Text));
    }

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(4.997, "5 s")] // a timer that fired a little early
    [InlineData(59.4, "59 s")]
    [InlineData(60, "1 min")]
    [InlineData(65, "1 min 5 s")]
    [InlineData(600, "10 min")]
    [InlineData(3600, "1 h")]
    [InlineData(3720, "1 h 2 min")]
    public void WithElapsed_ReadsAsAPersonWould(double seconds, string shown) =>
        Assert.Equal($"waiting ({shown})", WaitingProgress.WithElapsed("waiting", TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void WaitingProgress_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        var sink = new Recorder { Clock = scheduler };
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new WaitingProgress(null!, scheduler, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new WaitingProgress(sink, null!, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))).ParamName);
        Assert.Equal("first", Assert.Throws<ArgumentOutOfRangeException>(() => new WaitingProgress(sink, scheduler, TimeSpan.Zero, TimeSpan.FromSeconds(1))).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => new WaitingProgress(sink, scheduler, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).ParamName);
    }
}
