using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// The latency of one 64-byte message on loopback, sender and receiver both in this process: one operation is one
/// probe, from the call that sends it to its delivery to the peer's channel, the next probe sent once the last has
/// arrived. <see cref="Bulk"/>: while a bulk transfer of 64 KiB messages (1 MiB in flight at most) runs in the same
/// session. TCP rows (noise, rsa, pseudo through <c>FramedSecureChannel</c> over <c>TcpTransport</c>) against TLS 1.3
/// through the same kind of send queue; UDP (SecretChat's sealed reliable session) against LiteNetLib's
/// reliable-ordered channel at the same datagram size. See <see cref="LatencyRig"/>.
/// </summary>
/// <remarks>
/// BenchmarkDotNet reports the mean (with its own hop back to the prober in each operation); the percentiles (p50,
/// p99) come from the plain loop, <c>-- --loop latency</c>, which times each probe on the thread that delivers it.
/// </remarks>
[Config(typeof(BenchmarkConfig))]
public class LatencyBenchmarks
{
    public const int ProbesPerInvocation = 16;

    private LatencyRig? _rig;

    /// <summary>Whether a bulk transfer runs in the same session while the probes go.</summary>
    [Params(false, true)]
    public bool Bulk { get; set; }

    [GlobalSetup(Target = nameof(Tls13))]
    public void SetupTls() => Setup("Tls13");

    [GlobalSetup(Target = nameof(Noise))]
    public void SetupNoise() => Setup("Noise");

    [GlobalSetup(Target = nameof(Rsa))]
    public void SetupRsa() => Setup("Rsa");

    [GlobalSetup(Target = nameof(Pseudo))]
    public void SetupPseudo() => Setup("Pseudo");

    [GlobalSetup(Target = nameof(LiteNetLib))]
    public void SetupLiteNetLib() => Setup("LiteNetLib");

    [GlobalSetup(Target = nameof(SecretChatUdp))]
    public void SetupSecretChatUdp() => Setup("SecretChatUdp");

    [GlobalCleanup]
    public void Cleanup()
    {
        _rig?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rig = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Tcp")]
    public Task Tls13() => ProbeAsync();

    [Benchmark(OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Tcp")]
    public Task Noise() => ProbeAsync();

    [Benchmark(OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Tcp")]
    public Task Rsa() => ProbeAsync();

    [Benchmark(OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Tcp")]
    public Task Pseudo() => ProbeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Udp")]
    public Task LiteNetLib() => ProbeAsync();

    [Benchmark(OperationsPerInvoke = ProbesPerInvocation), BenchmarkCategory("Udp")]
    public Task SecretChatUdp() => ProbeAsync();

    private void Setup(string row)
    {
        _rig = LatencyRigs.CreateAsync(row).GetAwaiter().GetResult();
        if (Bulk)
            _rig.StartBulk();
    }

    private async Task ProbeAsync()
    {
        for (var i = 0; i < ProbesPerInvocation; i++)
            await _rig!.ProbeAsync();
    }
}

/// <summary>
/// The acknowledgement's return over UDP: from the call that sends a 64-byte probe until the sender learns the peer
/// has it (SecretChat: every message sent so far acknowledged; LiteNetLib: the probe's delivery event). Idle sessions
/// only: under a bulk transfer SecretChat's session says when everything is acknowledged, not one message, so the two
/// would not measure the same thing.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class AckLatencyBenchmarks
{
    private LatencyRig? _rig;

    [GlobalSetup(Target = nameof(LiteNetLibAcked))]
    public void SetupLiteNetLib() => _rig = LatencyRigs.CreateAsync("LiteNetLib acked").GetAwaiter().GetResult();

    [GlobalSetup(Target = nameof(SecretChatUdpAcked))]
    public void SetupSecretChatUdp() => _rig = LatencyRigs.CreateAsync("SecretChatUdp acked").GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _rig?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rig = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = LatencyBenchmarks.ProbesPerInvocation)]
    public Task LiteNetLibAcked() => ProbeAsync();

    [Benchmark(OperationsPerInvoke = LatencyBenchmarks.ProbesPerInvocation)]
    public Task SecretChatUdpAcked() => ProbeAsync();

    private async Task ProbeAsync()
    {
        for (var i = 0; i < LatencyBenchmarks.ProbesPerInvocation; i++)
            await _rig!.ProbeAsync();
    }
}
