using System.Net;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// Registrations and matches per second (issue 18): <see cref="Pairs"/> pairs of peers, each on a new socket, meet at
/// one <c>secretchat signal</c> node in its own process (<see cref="SignalHost"/>, the limits against strangers raised:
/// every peer here is 127.0.0.1), or at three such nodes sharing their rooms through one Redis (<see cref="Redis"/>),
/// each member of a pair at a node chosen at random. One operation is one match (two registrations, each with its
/// cookie round trip).
/// </summary>
/// <remarks>
/// The plain-loop cross-check is <c>--loop signaling</c>, which also measures memory per room. The three nodes and
/// Redis share this machine's cores with the clients, so the ratio is Redis's cost per match, not scaling across machines.
/// </remarks>
[Config(typeof(BenchmarkConfig))]
public class RendezvousBenchmarks
{
    public const int Pairs = 256;
    public const int Nodes = 3;

    private readonly List<ServerProcess> _processes = [];
    private IPEndPoint[] _node = [];
    private IPEndPoint[] _nodes = [];
    private readonly Random _random = new(18);

    [GlobalSetup(Target = nameof(OneNode))]
    public void SetupOneNode()
    {
        var (signal, endPoint) = SignalHost.Start();
        _processes.Add(signal);
        _node = [endPoint];
    }

    [GlobalSetup(Target = nameof(ThreeNodesWithRedis))]
    public void SetupThreeNodes()
    {
        try
        {
            _nodes = StartNodes(_processes);
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) // the nodes before their Redis
            _processes[i].Dispose();
        _processes.Clear();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs, Description = "one node: match (2 registrations)")]
    public Task OneNode() => RendezvousLoad.RunAsync(_node, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs, Description = "three nodes, Redis: match (members at random nodes)")]
    public Task ThreeNodesWithRedis() => RendezvousLoad.RunAsync(_nodes, Pairs, _random);

    /// <summary>
    /// Starts a Redis and <see cref="Nodes"/> signal nodes sharing it, adding each process to <paramref name="processes"/>
    /// (the caller disposes them, Redis first in the list); returns the nodes' addresses.
    /// </summary>
    internal static IPEndPoint[] StartNodes(List<ServerProcess> processes)
    {
        var (redis, address) = Redis.Start();
        processes.Add(redis);
        var nodes = new IPEndPoint[Nodes];
        for (var i = 0; i < nodes.Length; i++)
        {
            var (node, endPoint) = SignalHost.Start(address);
            processes.Add(node);
            nodes[i] = endPoint;
        }

        return nodes;
    }
}
