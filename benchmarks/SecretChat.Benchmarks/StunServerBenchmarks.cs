using System.Net;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// STUN Binding answers per second (issue 18): <c>secretchat signal</c>'s server beside coturn's <c>turnserver</c>
/// (the baseline), each in its own process on loopback, driven by the same client with the same 52-byte request
/// (SOFTWARE and FINGERPRINT, as <c>secretchat netcheck</c> sends), 4 sockets x 16 in flight. One operation is
/// <see cref="Answers"/> answers, so operations per second x <see cref="Answers"/> is answers per second.
/// </summary>
/// <remarks>Needs coturn (.ci/run installs it). The plain-loop cross-check is <c>--loop stun</c>.</remarks>
[Config(typeof(BenchmarkConfig))]
public class StunServerBenchmarks
{
    public const int Answers = 4096;
    public const int Sockets = 4;
    public const int Window = 16;

    private ServerProcess? _coturn;
    private ServerProcess? _signal;
    private StunLoad? _coturnLoad;
    private StunLoad? _signalLoad;

    [GlobalSetup]
    public void Setup()
    {
        (_coturn, var coturn) = Infrastructure.Coturn.Start();
        (_signal, var signal) = SignalHost.Start();
        _coturnLoad = Load(coturn);
        _signalLoad = Load(signal);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _coturnLoad?.Dispose();
        _signalLoad?.Dispose();
        _coturn?.Dispose();
        _signal?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Answers, Description = "coturn turnserver")]
    public void Coturn() => _coturnLoad!.Run(Answers, Window);

    [Benchmark(OperationsPerInvoke = Answers, Description = "secretchat signal")]
    public void SecretChatSignal() => _signalLoad!.Run(Answers, Window);

    internal static StunLoad Load(IPEndPoint server) => new(server, StunLoad.BindingRequest(), StunLoad.IsBindingSuccess, Sockets);
}
