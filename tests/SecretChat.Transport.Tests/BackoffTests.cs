namespace SecretChat.Transport.Tests;

public sealed class BackoffTests
{
    private static readonly Backoff OneToSixteen = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(16));

    [Fact]
    public void Delay_EachAttempt_DoublesUpToTheCap()
    {
        Assert.Equal([1.0, 2, 4, 8, 16, 16, 16], Enumerable.Range(0, 7).Select(a => OneToSixteen.Delay(a).TotalSeconds));
    }

    [Fact]
    public void Delay_HugeAttempt_StaysAtTheCapWithoutOverflow() =>
        Assert.Equal(TimeSpan.FromSeconds(16), OneToSixteen.Delay(int.MaxValue));

    [Fact]
    public void Next_FromEachWait_DoublesUpToTheCap()
    {
        var waits = new List<TimeSpan> { OneToSixteen.Initial };
        for (var i = 0; i < 6; i++)
            waits.Add(OneToSixteen.Next(waits[^1]));

        Assert.Equal([1.0, 2, 4, 8, 16, 16, 16], waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public void Delay_NegativeAttempt_Throws() =>
        Assert.Equal("attempt", Assert.Throws<ArgumentOutOfRangeException>(() => OneToSixteen.Delay(-1)).ParamName);
}
