using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// Relayed datagrams per second (issue 18): the built-in relay of <c>secretchat signal</c> beside coturn's TURN relay
/// (the baseline), each in its own process on loopback, with the same 1,100-byte payload, the same window (16 in
/// flight) and the same echo peer (<see cref="RelayLoad"/>). One operation is one datagram relayed (there and back
/// counts two). coturn relays ChannelData on a bound channel, its fastest path; ours relays token-checked Relay packets
/// with the per-room limits raised out of the way (every room here is one busy pair).
/// </summary>
/// <remarks>Needs coturn (.ci/run installs it). The plain-loop cross-check is <c>--loop signaling</c>.</remarks>
[Config(typeof(BenchmarkConfig))]
public class RelayBenchmarks
{
    public const int RoundTrips = 2048;
    public const int Window = 16;

    private ServerProcess? _coturn;
    private ServerProcess? _signal;
    private RelayLoad? _turn;
    private RelayLoad? _builtIn;

    [GlobalSetup]
    public void Setup()
    {
        (_coturn, var coturn) = Infrastructure.Coturn.Start();
        (_signal, var signal) = SignalHost.Start();
        _turn = RelayLoad.TurnAsync(coturn).GetAwaiter().GetResult();
        _builtIn = RelayLoad.BuiltInAsync(signal).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _turn?.Dispose();
        _builtIn?.Dispose();
        _coturn?.Dispose();
        _signal?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 2 * RoundTrips, Description = "coturn TURN relay (ChannelData)")]
    public void CoturnTurn() => _turn!.Run(RoundTrips, Window);

    [Benchmark(OperationsPerInvoke = 2 * RoundTrips, Description = "secretchat signal built-in relay")]
    public void BuiltInRelay() => _builtIn!.Run(RoundTrips, Window);
}
