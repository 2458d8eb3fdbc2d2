using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>How one run of a scenario went.</summary>
/// <param name="Run">1-based.</param>
/// <param name="Succeeded">Each side connected to its peer, both messages arrived, and both peers exited (see <see cref="CleanExit"/>).</param>
/// <param name="StartedDirect">The <c>connected</c> events said direct (both sides).</param>
/// <param name="EndedDirect">At the end of the run both sides were on the direct path (from the start, or after an upgrade).</param>
/// <param name="TimeToConnect">From the peers' start to the later side's <c>connected</c> event.</param>
/// <param name="TimeToFirstDelivery">From the peers' start to the first <c>message</c> event on either side.</param>
/// <param name="TimeToDirect">From the peers' start to both sides being on the direct path, when they got there.</param>
/// <param name="Failure">What went wrong, when it did (for a successful run: an unclean exit).</param>
public sealed record RunOutcome(
    int Run, bool Succeeded, bool StartedDirect, bool EndedDirect, TimeSpan? TimeToConnect, TimeSpan? TimeToFirstDelivery, TimeSpan? TimeToDirect, string? Failure)
{
    /// <summary>From the instant the later side was matched (its "punching toward" status) to the first delivered message: the path's own time, without process start-up and registration.</summary>
    public TimeSpan? FirstDeliveryAfterMatch { get; init; }

    /// <summary>
    /// The stages after the match, each the later side's, from the match: the secure channel open (the handshake done on
    /// the direct path or the relay), then the <c>connected</c> event (the peers' hellos exchanged); the first message
    /// follows in <see cref="FirstDeliveryAfterMatch"/>. Where a slow run spent its time.
    /// </summary>
    public TimeSpan? OpenAfterMatch { get; init; }

    /// <inheritdoc cref="OpenAfterMatch"/>
    public TimeSpan? ConnectedAfterMatch { get; init; }

    /// <summary>Both peers exited 0 (for a successful run: the session also ended cleanly).</summary>
    public bool CleanExit { get; init; }

    /// <summary>Whether alice had the initiator's role (the server gives it to the later of the two), when she said so.</summary>
    public bool? AliceInitiated { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"run {Run}: {(Succeeded ? "ok" : "FAILED")}, {(StartedDirect ? "direct" : EndedDirect ? "relay then direct" : "relay")}, " +
        $"{(AliceInitiated is { } a ? a ? "alice initiated, " : "bob initiated, " : "")}" +
        $"connected {Ms(TimeToConnect)}, first message {Ms(TimeToFirstDelivery)} ({Ms(FirstDeliveryAfterMatch)} after the match: " +
        $"open {Ms(OpenAfterMatch)}, connected {Ms(ConnectedAfterMatch)}), direct {Ms(TimeToDirect)}{(Failure is null ? "" : $": {Failure}")}");

    internal static string Ms(TimeSpan? time) => time is { } t ? $"{t.TotalMilliseconds:0} ms" : "-";
}

/// <summary>
/// The rates of a scenario run several times: success, the share of runs that ended on the direct path, and the
/// p50/p95 of the time from the peers' start to the first delivered message (over the successful runs).
/// </summary>
public sealed record ScenarioRates(string Scenario, LabLayout Layout, IReadOnlyList<RunOutcome> Outcomes)
{
    public int Runs => Outcomes.Count;

    public int Succeeded => Outcomes.Count(o => o.Succeeded);

    /// <summary>Runs that succeeded and ended on the direct path.</summary>
    public int Direct => Outcomes.Count(o => o.Succeeded && o.EndedDirect);

    /// <summary>Runs that succeeded on the direct path from the first message on (no relay at all).</summary>
    public int DirectFromTheStart => Outcomes.Count(o => o.Succeeded && o.StartedDirect);

    /// <summary>Successful runs whose peers both exited 0.</summary>
    public int CleanExits => Outcomes.Count(o => o.Succeeded && o.CleanExit);

    public double SuccessRate => Runs == 0 ? 0 : (double)Succeeded / Runs;

    public double DirectShare => Runs == 0 ? 0 : (double)Direct / Runs;

    public TimeSpan? FirstDeliveryP50 => Percentile(Outcomes.Where(o => o.Succeeded).Select(o => o.TimeToFirstDelivery), 0.50);

    public TimeSpan? FirstDeliveryP95 => Percentile(Outcomes.Where(o => o.Succeeded).Select(o => o.TimeToFirstDelivery), 0.95);

    public TimeSpan? AfterMatchP50 => Percentile(Outcomes.Where(o => o.Succeeded).Select(o => o.FirstDeliveryAfterMatch), 0.50);

    public TimeSpan? AfterMatchP95 => Percentile(Outcomes.Where(o => o.Succeeded).Select(o => o.FirstDeliveryAfterMatch), 0.95);

    /// <summary>The p50 time to the direct path, over the runs that got there.</summary>
    public TimeSpan? DirectP50 => Percentile(Outcomes.Where(o => o.Succeeded).Select(o => o.TimeToDirect), 0.50);

    /// <summary>The README table's row: scenario | runs | success | direct | p50 / p95 from start | p50 / p95 after the match.</summary>
    public string TableRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Scenario} | {Runs} | {Succeeded}/{Runs} | {Direct}/{Runs} ({DirectFromTheStart} from the start) | {RunOutcome.Ms(FirstDeliveryP50)} / {RunOutcome.Ms(FirstDeliveryP95)} | {RunOutcome.Ms(AfterMatchP50)} / {RunOutcome.Ms(AfterMatchP95)} | {CleanExits}/{Succeeded} |");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Scenario} ({Layout}): {Runs} runs, success {SuccessRate:P0} ({CleanExits} clean exits), direct {DirectShare:P0} ({DirectFromTheStart} from the start), " +
        $"first message p50 {RunOutcome.Ms(FirstDeliveryP50)} p95 {RunOutcome.Ms(FirstDeliveryP95)} from the start, " +
        $"p50 {RunOutcome.Ms(AfterMatchP50)} p95 {RunOutcome.Ms(AfterMatchP95)} after the match, direct p50 {RunOutcome.Ms(DirectP50)}");

    /// <summary>Nearest-rank percentile; null when no run has the value.</summary>
    internal static TimeSpan? Percentile(IEnumerable<TimeSpan?> values, double p)
    {
        var sorted = values.OfType<TimeSpan>().Order().ToList();
        if (sorted.Count == 0)
            return null;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}

/// <summary>What a repeated scenario does in each run.</summary>
public sealed record RepeatedRunOptions
{
    /// <summary>The peers' <c>--timeout</c>: how long they try before giving up (a hang shows as a failed run, never a stuck test).</summary>
    public int PeerTimeoutSeconds { get; init; } = 30;

    /// <summary>
    /// When a run connects over the relay, how long it waits for the upgrade to direct before it ends (zero: it does not
    /// wait, for scenarios where no direct path exists).
    /// </summary>
    public TimeSpan UpgradeWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra <c>secretchat p2p</c> arguments for both peers.</summary>
    public IReadOnlyList<string> PeerArguments { get; init; } = [];

    public static RepeatedRunOptions Default { get; } = new();
}

/// <summary>
/// Runs a NAT lab scenario several times, each in a lab of its own (removed after the run, failed or not): the
/// signaling server on the internet, then alice and bob started together; each side writes one line as soon as it is
/// connected. Times are taken on this process's monotonic clock from the instant just before the two peers' processes
/// are started, so every run measures from the same point (process start, .NET start-up and key loading included).
/// </summary>
/// <remarks>
/// Usage, for any layout (one call, the rates back): <c>var rates = await RepeatedRuns.RunAsync("cone/cone",
/// LabLayout.ConeToCone, runs: 10, output);</c> then assert on <see cref="ScenarioRates"/>. The output gets one line per
/// run and the summary.
/// </remarks>
public static class RepeatedRuns
{
    public static async Task<ScenarioRates> RunAsync(string scenario, LabLayout layout, int runs, ITestOutputHelper output, RepeatedRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        options ??= RepeatedRunOptions.Default;
        var outcomes = new List<RunOutcome>(runs);
        for (var run = 1; run <= runs; run++)
        {
            // A fresh home per run: every run starts the same way (new keys, nobody known yet).
            using var home = new TempDirectory("sclab-runs-");
            var outcome = await RunOnceAsync(run, layout, home, options);
            output.WriteLine($"{scenario}: {outcome}");
            outcomes.Add(outcome);
        }
        var rates = new ScenarioRates(scenario, layout, outcomes);
        output.WriteLine(rates.ToString());
        output.WriteLine(rates.TableRow());
        Record(rates);
        return rates;
    }

    /// <summary>
    /// The environment variable naming a file to which every scenario's rates are appended (its runs, its summary and
    /// its table row): CI sets it and prints the file, since a passing test's output is not shown there.
    /// </summary>
    public const string RatesFileVariable = "SECRETCHAT_RATES_FILE";

    private static readonly Lock RecordGate = new();

    private static void Record(ScenarioRates rates)
    {
        if (Environment.GetEnvironmentVariable(RatesFileVariable) is not { Length: > 0 } path)
            return;
        var text = string.Join('\n', rates.Outcomes.Select(o => $"{rates.Scenario}: {o}").Append(rates.ToString()).Append(rates.TableRow())) + "\n";
        lock (RecordGate)
            File.AppendAllText(path, text);
    }

    private static async Task<RunOutcome> RunOnceAsync(int run, LabLayout layout, TempDirectory home, RepeatedRunOptions options)
    {
        Lab? lab = null;
        SecretChatProcess? alice = null, bob = null;
        var clock = new Stopwatch();
        TimeSpan? connected = null, firstDelivery = null, direct = null;
        bool startedDirect = false, endedDirect = false;
        try
        {
            // Quiet: one lab line per run would drown the rates; a failure prints the transcripts instead.
            lab = await Lab.CreateAsync(layout);
            var peers = new PeerToPeerRun(lab, home, options.PeerTimeoutSeconds);
            await peers.StartSignalAsync();
            clock.Start();
            alice = peers.StartPeer(lab.Alice, [.. options.PeerArguments]);
            bob = peers.StartPeer(lab.Bob, [.. options.PeerArguments]);

            var limit = TimeSpan.FromSeconds(options.PeerTimeoutSeconds + 15);
            var sides = await Task.WhenAll(WatchAsync(alice, "bob", clock, limit), WatchAsync(bob, "alice", clock, limit));
            connected = sides.Max(s => s.Connected);
            firstDelivery = sides.Min(s => s.Delivered);
            startedDirect = sides.All(s => s.ConnectedPath == "direct");
            if (!startedDirect && options.UpgradeWait > TimeSpan.Zero)
                await Task.WhenAll(sides.Select(s => s.Direct.Task.WaitAsync(options.UpgradeWait)).Select(Swallow));
            endedDirect = sides.All(s => s.Direct.Task.IsCompletedSuccessfully);
            if (endedDirect)
                direct = sides.Max(s => s.Direct.Task.Result);

            alice.CloseInput();
            bob.CloseInput();
            // Both must exit (a hang fails the run); a non-zero exit after both messages arrived is counted apart: the
            // run's connection succeeded, its ending did not (at 10 % loss the last Close can be lost).
            var exits = await Task.WhenAll(alice.WaitForExitAsync(Conversation.DeliveryTimeout), bob.WaitForExitAsync(Conversation.DeliveryTimeout));
            if (!alice.ReceivedTexts.SequenceEqual(["bob 1"]) || !bob.ReceivedTexts.SequenceEqual(["alice 1"]))
                throw new InvalidOperationException($"received [{string.Join('|', alice.ReceivedTexts)}] and [{string.Join('|', bob.ReceivedTexts)}]");
            var matched = sides.All(s => s.Punching is not null) ? sides.Max(s => s.Punching) : null;
            var opened = sides.All(s => s.Opened is not null) ? sides.Max(s => s.Opened) : null;
            return new RunOutcome(run, true, startedDirect, endedDirect, connected, firstDelivery, direct,
                exits.All(e => e == 0) ? null : $"exit codes {exits[0]} and {exits[1]}: {Disconnected(alice)} / {Disconnected(bob)}")
            {
                CleanExit = exits.All(e => e == 0),
                FirstDeliveryAfterMatch = firstDelivery - matched,
                OpenAfterMatch = opened - matched,
                ConnectedAfterMatch = connected - matched,
                AliceInitiated = sides[0].Punching is null ? null : sides[0].Initiator,
            };
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or InvalidDataException or AggregateException)
        {
            var transcript = alice is null ? "" : $"\n{alice.Transcript()}\n{bob?.Transcript()}";
            return new RunOutcome(run, false, startedDirect, endedDirect, connected, firstDelivery, direct, e.Message.Split('\n')[0] + Truncated(transcript));
        }
        finally
        {
            if (lab is not null)
                await lab.DisposeAsync();
        }
    }

    /// <summary>One side: its <c>connected</c> event (then it writes its line), its first message, and when it is on the direct path.</summary>
    private static async Task<Side> WatchAsync(SecretChatProcess peer, string expectedPeer, Stopwatch clock, TimeSpan limit)
    {
        var side = new Side();
        var until = Stopwatch.StartNew();
        TimeSpan Remaining() => limit - until.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
        JsonElement connected;
        while (true)
        {
            connected = await peer.WaitForEventAsync(Remaining(), "connected", "status");
            if (SecretChatProcess.Kind(connected) == "connected")
                break;
            var status = Text(connected, "text");
            if (side.Punching is null && status.StartsWith("punching", StringComparison.Ordinal))
            {
                side.Punching = clock.Elapsed; // matched: the server introduced the peer
                side.Initiator = status.EndsWith("as initiator", StringComparison.Ordinal);
            }
            else if (side.Opened is null && (status.StartsWith("direct path to", StringComparison.Ordinal) || status.StartsWith("connected through the relay", StringComparison.Ordinal)))
            {
                side.Opened = clock.Elapsed; // the secure channel's handshake is done
            }
        }
        side.Connected = clock.Elapsed;
        side.ConnectedPath = Text(connected, "path");
        if (Text(connected, "peer") != expectedPeer)
            throw new InvalidOperationException($"{peer.Name} connected to '{Text(connected, "peer")}'");
        if (side.ConnectedPath == "direct")
            side.Direct.TrySetResult(side.Connected);
        await peer.WriteLinesAsync($"{peer.Name} 1");
        // Events in order: path changes before the message are seen on the way; the rest are watched in the background.
        while (true)
        {
            var next = await peer.WaitForEventAsync(Remaining(), "message", "path_changed");
            if (SecretChatProcess.Kind(next) == "message")
            {
                side.Delivered = clock.Elapsed;
                break;
            }
            OnPathChanged(side, next, clock);
        }
        _ = Task.Run(async () =>
        {
            try
            {
                while (!side.Direct.Task.IsCompleted)
                    OnPathChanged(side, await peer.WaitForEventAsync(Remaining(), "path_changed"), clock);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // The run ended first (or no upgrade came): the side stays where it was.
            }
        });
        return side;
    }

    private static void OnPathChanged(Side side, JsonElement changed, Stopwatch clock)
    {
        if (Text(changed, "path") == "direct")
            side.Direct.TrySetResult(clock.Elapsed);
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (TimeoutException)
        {
            // No upgrade within the wait: the run ends on the relay.
        }
    }

    private static string Disconnected(SecretChatProcess peer) =>
        peer.Events.LastOrDefault(e => SecretChatProcess.Kind(e) == "disconnected") is { ValueKind: JsonValueKind.Object } e ? Text(e, "reason") : "no disconnected event";

    private static string Truncated(string text) => text.Length <= 4000 ? text : text[..4000] + "…";

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private sealed class Side
    {
        public TimeSpan? Punching { get; set; }

        public bool Initiator { get; set; }

        public TimeSpan? Opened { get; set; }

        public TimeSpan Connected { get; set; }

        public string ConnectedPath { get; set; } = "";

        public TimeSpan? Delivered { get; set; }

        public TaskCompletionSource<TimeSpan> Direct { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
