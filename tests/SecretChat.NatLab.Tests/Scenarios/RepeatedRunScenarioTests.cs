using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 19's rates: each scenario run several times, each run in a lab of its own, printing every run, the success
/// rate, the share of direct paths and the p50/p95 time from the peers' start to the first delivered message. Run only
/// these with <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=rates</c>; README.md keeps the table.
/// </summary>
/// <remarks>
/// Run counts: 10 where the criterion is "every run" or a rate (public/symmetric, cone/cone, the 10 %-loss scenarios), 5 for the others,
/// so the whole class stays near five minutes on a quiet 2-core machine (a direct run takes about 5 s, lab included; a
/// relayed one about 8 s). Two times are measured per run on the test's monotonic clock: from the instant just before
/// both peers' processes start (so .NET start-up, a new identity key and registration count) and from the match (the
/// later peer's "punching toward" status: the server has introduced them). The 1 s bound is about the path,
/// so it is asserted on the p50 from the match to the first delivered message; the time from the start is printed
/// beside it (on a loaded machine .NET start-up alone takes seconds).
/// </remarks>
[Collection(NatLabCollection.Name)]
[Trait("Category", "rates")]
public sealed class RepeatedRunScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan DirectP50Bound = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs per 10 %-loss scenario: 10, because a lossy run now and then loses whole flights and takes over 1 s (2 of 15
    /// in the first CI run that printed them, where the p50s were 226-414 ms); with 5 runs three such runs would decide
    /// the p50, with 10 it takes six.
    /// </summary>
    private const int LossyRuns = 10;

    [LabFact]
    public async Task Rates_SymmetricToPublic_TenRuns_DirectInEveryRun()
    {
        var rates = await RepeatedRuns.RunAsync("symmetric/public", LabLayout.SymmetricToPublic, 10, output);

        AssertEveryRunSucceeded(rates);
        Assert.Equal(rates.Runs, rates.Direct);
    }

    [LabFact]
    public async Task Rates_PublicToSymmetric_FiveRuns_DirectInEveryRun()
    {
        var rates = await RepeatedRuns.RunAsync("public/symmetric", LabLayout.PublicToSymmetric, 5, output);

        AssertEveryRunSucceeded(rates);
        Assert.Equal(rates.Runs, rates.Direct);
    }

    [LabFact]
    public async Task Rates_SymmetricToSymmetric_FiveRuns_RelayInEveryRunAndNeverHangs()
    {
        // No upgrade wait: no direct path exists. A hang would be a failed run (the peers give up after 30 s).
        var rates = await RepeatedRuns.RunAsync(
            "symmetric/symmetric", LabLayout.SymmetricToSymmetric, 5, output, new RepeatedRunOptions { UpgradeWait = TimeSpan.Zero });

        AssertEveryRunSucceeded(rates);
        Assert.Equal(0, rates.Direct); // counts a run that started direct too
    }

    [LabFact]
    public Task Rates_ConeToCone_TenRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("cone/cone", LabLayout.ConeToCone, 10);

    [LabFact]
    public Task Rates_ConeToConeTenPercentLoss_TenRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("cone/cone, 10% loss", LabLayout.ConeToCone.WithLoss(0.1), LossyRuns);

    [LabFact]
    public Task Rates_ConeToPublic_FiveRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("cone/public", LabLayout.ConeToPublic, 5);

    [LabFact]
    public Task Rates_ConeToPublicTenPercentLoss_TenRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("cone/public, 10% loss", LabLayout.ConeToPublic.WithLoss(0.1), LossyRuns);

    [LabFact]
    public Task Rates_SameLan_FiveRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("same LAN", LabLayout.SameLan, 5);

    [LabFact]
    public Task Rates_SameLanTenPercentLoss_TenRuns_DirectWithP50UnderOneSecond() =>
        DirectFastAsync("same LAN, 10% loss", LabLayout.SameLan.WithLoss(0.1), LossyRuns);

    private async Task DirectFastAsync(string scenario, LabLayout layout, int runs)
    {
        var rates = await DirectAsync(scenario, layout, runs);
        Assert.True(rates.AfterMatchP50 < DirectP50Bound, $"{scenario}: p50 from the match to the first message {rates.AfterMatchP50}, not under {DirectP50Bound}.");
    }

    private async Task<ScenarioRates> DirectAsync(string scenario, LabLayout layout, int runs)
    {
        var rates = await RepeatedRuns.RunAsync(scenario, layout, runs, output);
        AssertEveryRunSucceeded(rates);
        Assert.Equal(rates.Runs, rates.Direct);
        return rates;
    }

    private static void AssertEveryRunSucceeded(ScenarioRates rates) =>
        Assert.True(rates.Succeeded == rates.Runs, $"{rates}\n{string.Join('\n', rates.Outcomes.Where(o => !o.Succeeded))}");
}
