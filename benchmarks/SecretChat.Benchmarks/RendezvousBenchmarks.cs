using System.Net;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// Registrations and matches per second (issue 18): <see cref="Pairs"/> pairs of peers, each on a new socket, meet at
/// one <c>secretchat signal</c> node in its own process (<see cref="SignalHost"/>, the limits against strangers raised:
/// every peer here is 127.0.0.1). One operation is one match (two registrations, each with its cookie round trip).
/// </summary>
/// <remarks>The plain-loop cross-check is <c>--loop signaling</c>, which also measures memory per room.</remarks>
[Config(typeof(BenchmarkConfig))]
public class RendezvousBenchmarks
{
    public const int Pairs = 256;

    private ServerProcess? _signal;
    private IPEndPoint[] _node = [];

    [GlobalSetup]
    public void Setup()
    {
        (_signal, var endPoint) = SignalHost.Start();
        _node = [endPoint];
    }

    [GlobalCleanup]
    public void Cleanup() => _signal?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs, Description = "one node: match (2 registrations)")]
    public Task OneNode() => RendezvousLoad.RunAsync(_node, Pairs);
}
