using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 19's sites run several times each (h3's <see cref="RepeatedRuns"/>): each prints its success rate, direct share and
/// p50/p95 to the first delivered message. IPv6 pairs must be direct in every run; a double NAT and a router that does
/// not hairpin must connect in every run (direct or relay, as the lab permits) and never hang.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "rates")]
public sealed class DualStackRepeatedRunTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task Rates_IPv6OnlyConeToCone_FiveRuns_DirectInEveryRun()
    {
        var rates = await RepeatedRuns.RunAsync("IPv6-only cone/cone", new LabLayout(Site.Cone, Site.Cone, Ip: LabIp.V6Only), 5, output);

        AssertEveryRunSucceeded(rates);
        Assert.Equal(rates.Runs, rates.Direct);
    }

    [LabFact]
    public async Task Rates_DualStackSymmetricToSymmetric_FiveRuns_DirectInEveryRun()
    {
        // Over IPv4 alone this pair relays in every run; IPv6 has no NAT to punch.
        var rates = await RepeatedRuns.RunAsync("dual-stack symmetric/symmetric", new LabLayout(Site.Symmetric, Site.Symmetric, Ip: LabIp.DualStack), 5, output);

        AssertEveryRunSucceeded(rates);
        Assert.Equal(rates.Runs, rates.Direct);
    }

    [LabFact]
    public async Task Rates_DoubleNatToCone_FiveRuns_ConnectInEveryRun()
    {
        var rates = await RepeatedRuns.RunAsync("double NAT (CGNAT + home)/cone", new LabLayout(Site.CarrierGradeNat, Site.Cone), 5, output);

        AssertEveryRunSucceeded(rates);
    }

    [LabFact]
    public async Task Rates_IsolatedLanNoHairpin_FiveRuns_RelayInEveryRunAndNeverHangs()
    {
        var rates = await RepeatedRuns.RunAsync(
            "isolated LAN, no hairpin", new LabLayout(Site.Cone, Site.IsolatedLan), 5, output, new RepeatedRunOptions { UpgradeWait = TimeSpan.Zero });

        AssertEveryRunSucceeded(rates);
        Assert.Equal(0, rates.DirectFromTheStart);
    }

    private static void AssertEveryRunSucceeded(ScenarioRates rates) =>
        Assert.True(rates.Succeeded == rates.Runs, $"{rates}\n{string.Join('\n', rates.Outcomes.Where(o => !o.Succeeded))}");
}
