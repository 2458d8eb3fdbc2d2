using System.Globalization;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 19's easy NAT to hard NAT: alice behind a cone router, bob behind a symmetric one (MASQUERADE --random-fully,
/// a new random port per destination). Plain punching cannot meet there: bob's NAT gives the punch toward alice a port
/// nobody announced, and alice's router lets nothing in from it. The session starts on the relay; the birthday punch
/// (bob opens 256 sockets and punches from each toward alice, alice probes random ports of bob's router) moves it to a
/// direct path. The peers learn their mappings from two STUN destinations: the lab's signaling server and a second
/// one on port <see cref="SecondStunPort"/> of the same host, given as the second server of <c>--signal</c>.
/// Run only these with <c>dotnet test tests/SecretChat.NatLab.Tests --filter Category=birthday</c>.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "birthday")]
public sealed class BirthdayScenarioTests(ITestOutputHelper output) : IDisposable
{
    public const int SecondStunPort = 3479;
    private const int Runs = 10;
    private const int PeerTimeoutSeconds = 30;
    private static readonly TimeSpan DirectWait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _home = new("sclab-birthday-");

    [LabFact]
    public async Task P2p_ConeToSymmetricTenRuns_StartsOnTheRelayAndGoesDirectByTheBirthdayParadox()
    {
        var results = new List<RunResult>();
        for (var run = 1; run <= Runs; run++)
            results.Add(await RunOnceAsync(new LabLayout(Site.Cone, Site.Symmetric), run));

        var direct = results.Where(r => r.Direct is not null).ToList();
        var relayStart = Percentiles(results.Select(r => r.Connected));
        var toDirect = Percentiles(direct.Select(r => r.Direct!.Value));
        output.WriteLine(
            $"cone/symmetric, {Runs} runs: connected {results.Count(r => r.Delivered)}/{Runs}, direct {direct.Count}/{Runs}; " +
            $"first connection (relay) p50 {relayStart.P50:0.00} s p95 {relayStart.P95:0.00} s; " +
            $"time to a direct path p50 {toDirect.P50:0.00} s p95 {toDirect.P95:0.00} s (from the server introducing the peers)");

        Assert.All(results, r => Assert.True(r.Delivered, $"run {r.Run}: messages were not all delivered"));
        Assert.True(direct.Count >= 9, $"only {direct.Count} of {Runs} runs went direct");
        Assert.True(toDirect.P50 < 5, $"the p50 time to a direct path was {toDirect.P50:0.00} s");
        Assert.True(relayStart.P50 <= 3, $"the p50 time to the first (relayed) connection was {relayStart.P50:0.00} s");
    }

    public void Dispose() => _home.Dispose();

    private async Task<RunResult> RunOnceAsync(LabLayout layout, int run)
    {
        await using var lab = await Lab.CreateAsync(layout, output);
        var peers = new PeerToPeerRun(lab, _home, PeerTimeoutSeconds);
        await peers.StartSignalAsync();
        await peers.StartSecondServerAsync(SecondStunPort);

        var alice = peers.StartPeer(lab.Alice);
        var bob = peers.StartPeer(lab.Bob);
        var atAlice = WatchAsync(alice);
        var atBob = WatchAsync(bob);
        (TimeSpan Connected, TimeSpan? Direct) a, b;
        try
        {
            a = await atAlice;
            b = await atBob;
        }
        catch
        {
            output.WriteLine($"{alice.Transcript()}\n{bob.Transcript()}\n--- lab:\n{await lab.DescribeAsync()}");
            throw;
        }
        var aliceLines = Conversation.Lines("alice", 3);
        var bobLines = Conversation.Lines("bob", 3);
        await alice.WriteLinesAsync(aliceLines);
        await bob.WriteLinesAsync(bobLines);
        await Conversation.FinishAsync(output, alice, bob);
        Conversation.AssertReceivedInOrder(bob, aliceLines, output);
        Conversation.AssertReceivedInOrder(alice, bobLines, output);

        // Direct once both sides are: the later of the two.
        TimeSpan? direct = a.Direct is { } x && b.Direct is { } y ? TimeSpan.FromTicks(Math.Max(x.Ticks, y.Ticks)) : null;
        if (direct is null)
            output.WriteLine($"run {run} never went direct; what the peers printed:\n{alice.Transcript()}\n{bob.Transcript()}");
        var result = new RunResult(run, true, TimeSpan.FromTicks(Math.Max(a.Connected.Ticks, b.Connected.Ticks)).TotalSeconds, direct?.TotalSeconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run}: connected (relay) {result.Connected:0.00} s after meeting, {(direct is null ? "never direct" : $"direct after {result.Direct:0.00} s")}"));
        return result;
    }

    /// <summary>
    /// The peer's first connection and, if it was relayed, its move to direct (if one comes within <see cref="DirectWait"/>),
    /// each counted from the moment the server introduced the peers (the peer's "met the peer" status, by the events'
    /// own times): process start and registration, slow on a loaded machine, are not the punch's.
    /// </summary>
    private async Task<(TimeSpan Connected, TimeSpan? Direct)> WatchAsync(SecretChatProcess peer)
    {
        var connected = await Conversation.ConnectedAsync(peer, output);
        var met = Time(peer.Events.First(e => SecretChatProcess.Kind(e) == "status"
            && e.GetProperty("text").GetString()!.StartsWith("met the peer", StringComparison.Ordinal)));
        var at = Time(peer.Events.First(e => SecretChatProcess.Kind(e) == "connected")) - met;
        if (connected.Path == "direct")
            return (at, at);
        try
        {
            while (true)
            {
                var moved = await peer.WaitForEventAsync(DirectWait, "path_changed");
                output.WriteLine($"{peer.Name}: {moved.GetRawText()}");
                if (moved.GetProperty("path").GetString() == "direct")
                    return (at, Time(moved) - met);
            }
        }
        catch (TimeoutException)
        {
            return (at, null);
        }
    }

    private static DateTimeOffset Time(System.Text.Json.JsonElement e) =>
        DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);

    /// <summary>The p50 and p95 in seconds, ranked as <see cref="ScenarioRates.Percentile"/> ranks them (infinite without values).</summary>
    private static (double P50, double P95) Percentiles(IEnumerable<double> values)
    {
        var times = values.Select(v => (TimeSpan?)TimeSpan.FromSeconds(v)).ToList();
        static double Seconds(TimeSpan? time) => time?.TotalSeconds ?? double.PositiveInfinity;
        return (Seconds(ScenarioRates.Percentile(times, 0.50)), Seconds(ScenarioRates.Percentile(times, 0.95)));
    }

    private sealed record RunResult(int Run, bool Delivered, double Connected, double? Direct);
}
